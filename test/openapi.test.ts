import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Parley } from '../src/app';
import { httpRoutes } from '../src/http/app';
import { buildRouter } from '../src/http/router';
import { createMetricsRegistry } from '../src/metrics';
import { client, registerAndLogin, type Client, type Reply } from './helpers/http';
import { startTestServer, type TestServer } from './helpers/server';

type Json = any;

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const openApiPath = (koaPath: string) => koaPath.replace(/:(\w+)/g, '{$1}');

/** Every operation in the document, as [path, method, operation]. */
function operations(doc: Json): [string, string, Json][] {
  return Object.entries(doc.paths as Record<string, Json>).flatMap(([p, item]) =>
    METHODS.filter((m) => item[m]).map((m): [string, string, Json] => [p, m, item[m]]),
  );
}

/** Resolves a local JSON pointer (#/a/b) in the document. */
function resolve(doc: Json, ref: string): unknown {
  expect(ref, `$ref ${ref}`).to.match(/^#\//);
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<Json>((node, part) => (node === undefined ? undefined : node[part]), doc);
}

/** Every value under `node`, with its JSON path. */
function* walk(node: unknown, at = '#'): Generator<[string, Json]> {
  yield [at, node];
  if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) yield* walk(value, `${at}/${key}`);
  }
}

/** The schema with every $ref replaced by its target (the document has no recursive schemas). */
function inline(doc: Json, schema: Json): Json {
  if (Array.isArray(schema)) return schema.map((s) => inline(doc, s));
  if (!schema || typeof schema !== 'object') return schema;
  if (typeof schema.$ref === 'string') return inline(doc, resolve(doc, schema.$ref));
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, inline(doc, v)]));
}

/** JSON Schema 2020-12, which OpenAPI 3.1 speaks; strict, so unknown keywords are errors. */
const ajv = addFormats(new Ajv2020({ strict: true, strictTypes: false, allowUnionTypes: true, allErrors: true }));

/** Every schema the document holds: components, parameters, request and response bodies. */
function schemasOf(doc: Json): [string, Json][] {
  const found: [string, Json][] = Object.entries(doc.components.schemas).map(([name, s]) => [`components/${name}`, s]);
  for (const [p, method, op] of operations(doc)) {
    for (const param of op.parameters ?? []) found.push([`${method} ${p} ${param.in} ${param.name}`, param.schema]);
    for (const [type, media] of Object.entries<Json>(op.requestBody?.content ?? {}))
      found.push([`${method} ${p} body ${type}`, media.schema]);
    for (const [status, response] of Object.entries<Json>(op.responses)) {
      const r = response.$ref ? (resolve(doc, response.$ref) as Json) : response;
      for (const [type, media] of Object.entries<Json>(r.content ?? {}))
        if (media.schema) found.push([`${method} ${p} ${status} ${type}`, media.schema]);
    }
  }
  return found;
}

describe('OpenAPI: GET /openapi.json', () => {
  let server: TestServer;
  let api: Client;
  let doc: Json;
  const routes = httpRoutes(createMetricsRegistry());

  before(async () => {
    // A low failed-login limit, so that a real 429 is quick to get.
    server = await startTestServer({ RATE_LIMIT_LOGIN_ACCOUNT: '2' });
    api = client(server.url);
    const reply = await api.get('/openapi.json');
    expect(reply.status).to.equal(200);
    expect(reply.headers.get('content-type')).to.match(/^application\/json/);
    doc = reply.body;
  });
  after(async () => {
    await server.stop();
  });

  it('is an OpenAPI 3.1 document about parley', () => {
    const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
    expect(doc.openapi).to.equal('3.1.0');
    expect(doc.info).to.include({ title: 'parley', version: pkg.version });
    expect(doc.info.description).to.be.a('string').and.not.equal('');
  });

  it('documents every route the router registers, with its method, and nothing else', () => {
    const router = buildRouter({} as Parley, routes);
    const registered = router.stack.flatMap((layer) =>
      layer.methods.filter((m) => m !== 'HEAD').map((m) => `${m.toLowerCase()} ${openApiPath(String(layer.path))}`),
    );
    const documented = operations(doc).map(([p, method]) => `${method} ${p}`);
    expect(registered.length).to.be.at.least(19);
    expect(documented.sort()).to.deep.equal([...registered].sort());
    for (const op of [
      'get /healthz',
      'get /readyz',
      'get /metrics',
      'get /openapi.json',
      'get /docs',
      'patch /users/add_picture',
      'get /users/{username}/picture',
    ]) {
      expect(documented).to.include(op);
    }
  });

  it('every documented operation exists on the running server (no 404 for the route itself, no 405)', async () => {
    for (const [p, method, op] of operations(doc)) {
      const url = p.replace(/\{\w+\}/g, 'nobody_here');
      const reply = await api.request(method.toUpperCase(), url);
      expect(reply.status, `${method} ${p}`).not.to.be.oneOf([405, 501]);
      if (reply.status === 404) expect(reply.body.error.code, `${method} ${p}`).not.to.equal('not_found');
      expect(
        String(reply.status) in op.responses || 'default' in op.responses,
        `${method} ${p} answered ${reply.status}`,
      ).to.equal(true);
    }
  });

  it('declares bearer auth, and exactly the routes that need a token say so; they answer 401 without one', async () => {
    expect(doc.components.securitySchemes.bearerAuth).to.deep.include({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.passwordLogin.flows.password.tokenUrl).to.equal('/auth/login');
    expect(doc.components.securitySchemes, 'no METRICS_TOKEN here').not.to.have.property('metricsToken');
    for (const route of routes) {
      const op = doc.paths[route.path][route.method.toLowerCase()];
      if (route.auth) {
        expect(op.security, route.operationId).to.deep.include({ bearerAuth: [] });
        const reply = await api.request(route.method, route.path.replace(/\{\w+\}/g, 'someone'));
        expect(reply.status, route.operationId).to.equal(401);
        expect(op.responses['401'], `${route.operationId} documents its 401`).to.be.an('object');
      } else {
        expect(op.security, `${route.operationId} is public`).to.deep.equal([]);
      }
    }
    for (const [, , op] of operations(doc)) {
      for (const requirement of op.security ?? []) {
        for (const name of Object.keys(requirement)) expect(doc.components.securitySchemes).to.have.property(name);
      }
    }
  });

  it("has unique operation ids, the routes' own", () => {
    const ids = operations(doc).map(([, , op]) => op.operationId);
    expect(new Set(ids).size).to.equal(ids.length);
    expect([...ids].sort()).to.deep.equal(routes.map((r) => r.operationId).sort());
  });

  it('every $ref resolves', () => {
    let refs = 0;
    for (const [at, node] of walk(doc)) {
      if (node && typeof node === 'object' && typeof node.$ref === 'string') {
        refs++;
        expect(resolve(doc, node.$ref), `${at}: ${node.$ref}`).to.be.an('object');
      }
    }
    expect(refs).to.be.above(10);
  });

  it('declares every path parameter, and only those in the path', () => {
    for (const [p, method, op] of operations(doc)) {
      const inPath = [...p.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      const declared = (op.parameters ?? []).filter((x: Json) => x.in === 'path');
      expect(declared.map((x: Json) => x.name).sort(), `${method} ${p}`).to.deep.equal(inPath);
      for (const x of declared) expect(x.required, `${method} ${p} ${x.name}`).to.equal(true);
      for (const x of op.parameters ?? []) expect(x.in).to.be.oneOf(['path', 'query']);
    }
    const search = doc.paths['/users'].get.parameters;
    expect(search.find((x: Json) => x.name === 'search')).to.include({ in: 'query', required: true });
    expect(search.find((x: Json) => x.name === 'limit')).to.include({ in: 'query', required: false });
  });

  it('documents every request body in every content type the route takes', () => {
    for (const route of routes) {
      const op = doc.paths[route.path][route.method.toLowerCase()];
      const types = Object.keys(route.body ?? {});
      if (types.length === 0) {
        expect(op.requestBody, route.operationId).to.equal(undefined);
        continue;
      }
      expect(Object.keys(op.requestBody.content).sort(), route.operationId).to.deep.equal(types.sort());
    }
    expect(Object.keys(doc.paths['/auth/login'].post.requestBody.content)).to.have.members([
      'application/x-www-form-urlencoded',
      'application/json',
    ]);
    expect(
      doc.paths['/users/add_picture'].patch.requestBody.content['multipart/form-data'].schema.required,
    ).to.deep.equal(['file']);
  });

  it('gives every operation a success response and the one error shape for errors', () => {
    expect(doc.components.schemas.Error.properties.error.required).to.deep.equal(['code', 'message']);
    for (const route of routes.filter((r) => r.rateLimits?.length)) {
      const tooMany = doc.paths[route.path][route.method.toLowerCase()].responses['429'];
      expect(tooMany, `${route.operationId} documents its 429`).to.be.an('object');
      expect(tooMany.headers, route.operationId).to.have.property('Retry-After');
    }
    for (const [p, method, op] of operations(doc)) {
      const statuses = Object.keys(op.responses);
      expect(
        statuses.some((s) => /^2\d\d$/.test(s)),
        `${method} ${p}`,
      ).to.equal(true);
      expect(op.responses.default).to.deep.equal({ $ref: '#/components/responses/Error' });
      for (const status of statuses.filter((s) => /^[45]\d\d$/.test(s))) {
        expect(op.responses[status].content['application/json'].schema, `${method} ${p} ${status}`).to.deep.equal({
          $ref: '#/components/schemas/Error',
        });
      }
    }
  });

  it('holds only valid JSON Schema 2020-12 schemas', () => {
    const all = schemasOf(doc);
    expect(all.length).to.be.above(40);
    for (const [where, schema] of all) {
      expect(() => ajv.compile(inline(doc, schema)), where).not.to.throw();
    }
  });

  describe('answers as documented', () => {
    /** Checks the reply's status is documented for the operation, and its JSON body meets that response's schema. */
    const conforms = (method: string, template: string, reply: Reply) => {
      const op = doc.paths[template]?.[method];
      expect(op, `${method} ${template} is documented`).to.be.an('object');
      const response = op.responses[String(reply.status)];
      expect(response, `${method} ${template} documents ${reply.status}: ${JSON.stringify(reply.body)}`).to.be.an(
        'object',
      );
      const schema = response.content?.['application/json']?.schema;
      if (!schema) return;
      const validate = ajv.compile(inline(doc, schema));
      expect(
        validate(reply.body),
        `${method} ${template} ${reply.status}: ${JSON.stringify(validate.errors)}`,
      ).to.equal(true);
    };

    it('for users, auth and messages, successes and errors alike', async () => {
      const alice = await registerAndLogin(api);
      const bob = await registerAndLogin(api);
      const token = alice.access_token;

      conforms(
        'post',
        '/users/create',
        await api.post('/users/create', {
          json: {
            username: `${bob.username}x`,
            email: `${bob.username}x@example.test`,
            password: 'correct horse',
            first_name: 'B',
          },
        }),
      );
      conforms(
        'post',
        '/users/create',
        await api.post('/users/create', {
          json: { username: bob.username, email: 'other@example.test', password: 'correct horse' },
        }),
      );
      conforms(
        'post',
        '/auth/login',
        await api.post('/auth/login', {
          form: { username: alice.username, password: alice.password, grant_type: 'password' },
        }),
      );
      conforms(
        'post',
        '/auth/login',
        await api.post('/auth/login', { json: { username: alice.username, password: 'wrong password' } }),
      );
      conforms(
        'post',
        '/auth/refresh',
        await api.post('/auth/refresh', { json: { refresh_token: bob.refresh_token } }),
      );
      conforms('get', '/users/me', await api.get('/users/me', { token }));
      conforms('get', '/users/me', await api.get('/users/me'));
      conforms(
        'post',
        '/users/update',
        await api.post('/users/update', { token, json: { first_name: 'Alice', settings: { phone_public: true } } }),
      );
      conforms('get', '/users', await api.get(`/users?search=${alice.username.slice(0, 4)}`));
      conforms('get', '/users', await api.get('/users?limit=5'));
      conforms('get', '/users/{username}', await api.get(`/users/${alice.username}`));
      conforms('get', '/users/{username}', await api.get('/users/nobody_here'));
      conforms('get', '/users/{username}/picture', await api.get(`/users/${alice.username}/picture`));
      conforms(
        'post',
        '/messenger/messages',
        await api.post('/messenger/messages', { token, json: { to: bob.username, text: 'hi' } }),
      );
      conforms(
        'post',
        '/messenger/messages',
        await api.post('/messenger/messages', { token, json: { text: 'hello all' } }),
      );
      conforms(
        'post',
        '/messenger/messages',
        await api.post('/messenger/messages', { token, json: { to: 'nobody_here', text: 'hi' } }),
      );
      conforms('get', '/messenger/inbox', await api.get('/messenger/inbox', { token: bob.access_token }));
      conforms(
        'get',
        '/messenger/conversations/{username}',
        await api.get(`/messenger/conversations/${bob.username}`, { token }),
      );
      conforms(
        'get',
        '/messenger/conversations/{username}',
        await api.get(`/messenger/conversations/${bob.username}?before=nope`, { token }),
      );
      conforms('get', '/messenger/chat', await api.get('/messenger/chat?limit=2', { token }));
      conforms('post', '/auth/logout', await api.post('/auth/logout', { token }));
    });

    it('when rate-limited: 429 with Retry-After', async () => {
      const user = await registerAndLogin(api);
      let reply: Reply | null = null;
      for (let attempt = 0; attempt < 5 && reply?.status !== 429; attempt++) {
        reply = await api.post('/auth/login', { json: { username: user.username, password: 'not the password' } });
        conforms('post', '/auth/login', reply);
      }
      expect(reply!.status).to.equal(429);
      expect(Number(reply!.headers.get('retry-after'))).to.be.above(0);
    });

    it('for the operations endpoints', async () => {
      conforms('get', '/healthz', await api.get('/healthz'));
      conforms('get', '/readyz', await api.get('/readyz'));
      conforms('get', '/openapi.json', await api.get('/openapi.json'));
      const metrics = await api.get('/metrics');
      conforms('get', '/metrics', metrics);
      expect(doc.paths['/metrics'].get.responses['200'].content).to.have.property('text/plain; version=0.0.4');
      const docs = await api.get('/docs');
      conforms('get', '/docs', docs);
      expect(docs.headers.get('content-type')).to.match(/^text\/html/);
    });
  });
});

describe('OpenAPI: with METRICS_TOKEN set', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ METRICS_TOKEN: 'a-metrics-token-for-the-openapi-test' });
  });
  after(async () => {
    await server.stop();
  });

  it('declares the metrics token scheme on GET /metrics only', async () => {
    const doc = (await client(server.url).get('/openapi.json')).body;
    expect(doc.components.securitySchemes.metricsToken).to.deep.include({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/metrics'].get.security).to.deep.equal([{ metricsToken: [] }]);
    const users = operations(doc).filter(([, , op]) => op.security?.some((r: Json) => 'metricsToken' in r));
    expect(users.map(([p]) => p)).to.deep.equal(['/metrics']);
  });
});
