// The REST client: JSON in and out; an error status becomes a thrown Error carrying the API's error body.

export async function api(method, path, body, token) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return answer(res);
}

/** A multipart form (a file upload): the browser sets the Content-Type with its boundary. */
export async function apiForm(method, path, form, token) {
  const res = await fetch(path, { method, headers: { Authorization: `Bearer ${token}` }, body: form });
  return answer(res);
}

async function answer(res) {
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    const error = new Error(data?.error?.message || `request failed (${res.status})`);
    error.status = res.status;
    error.code = data?.error?.code;
    error.details = data?.error?.details;
    const retryAfter = Number(res.headers.get('Retry-After') ?? data?.error?.details?.retry_after);
    if (retryAfter > 0) error.retryAfter = retryAfter;
    throw error;
  }
  return data;
}

/** A failed fetch (server down, network gone) has no status; say that rather than the browser's wording. */
export const requestProblem = (error) =>
  error.status ? error.message : 'Could not reach the server. Check your connection and try again.';
