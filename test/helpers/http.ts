/** A thin JSON client for tests: every call returns status, headers and the parsed body. */
export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestOptions {
  token?: string;
  json?: unknown;
  form?: Record<string, string>;
  body?: BodyInit;
  headers?: Record<string, string>;
}

export async function request<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...options.headers };
  let body: BodyInit | undefined = options.body;
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(options.json);
  }
  if (options.form) {
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  }
  const res = await fetch(baseUrl + path, { method, headers, body });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, headers: res.headers, body: type.includes('json') && text ? JSON.parse(text) : text };
}

export interface Client {
  get<T = any>(path: string, options?: RequestOptions): Promise<Reply<T>>;
  post<T = any>(path: string, options?: RequestOptions): Promise<Reply<T>>;
  patch<T = any>(path: string, options?: RequestOptions): Promise<Reply<T>>;
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<Reply<T>>;
}

export function client(baseUrl: string): Client {
  return {
    get: (path, options) => request(baseUrl, 'GET', path, options),
    post: (path, options) => request(baseUrl, 'POST', path, options),
    patch: (path, options) => request(baseUrl, 'PATCH', path, options),
    request: (method, path, options) => request(baseUrl, method, path, options),
  };
}

export interface TestUser {
  user_id: string;
  username: string;
  password: string;
  access_token: string;
  refresh_token: string;
}

let counter = 0;
/** A unique valid username for this test run. */
export const uniqueName = (prefix = 'user'): string => `${prefix}${process.pid % 1000}_${++counter}`;

/** Registers a user and logs them in. */
export async function registerAndLogin(
  api: Client,
  username = uniqueName(),
  password = 'correct horse',
): Promise<TestUser> {
  const created = await api.post('/users/create', { json: { username, email: `${username}@example.test`, password } });
  if (created.status !== 201) throw new Error(`register failed: ${created.status} ${JSON.stringify(created.body)}`);
  const login = await api.post('/auth/login', { json: { username, password } });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
  return {
    user_id: created.body.user_id,
    username,
    password,
    access_token: login.body.access_token,
    refresh_token: login.body.refresh_token,
  };
}
