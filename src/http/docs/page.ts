import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Middleware } from 'koa';
import { absolutePath } from 'swagger-ui-dist';
import { sendCacheable } from '../cacheable';

/**
 * The interactive API documentation: Swagger UI from the installed swagger-ui-dist package (no
 * CDN), started by a script file of our own rather than an inline one, so the page can run under
 * a strict Content-Security-Policy.
 */

export const DOCS_PATH = '/docs';

/** Swagger UI styles itself with inline style attributes, and shows a few images as data: URLs. */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const INITIALIZER = `'use strict';
// Swagger UI against this server's own OpenAPI document; "try it out" calls the same origin.
window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    validatorUrl: null,
    displayRequestDuration: true,
    defaultModelsExpandDepth: 0,
  });
});
`;

export const DOCS_PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>parley API</title>
  <link rel="stylesheet" href="${DOCS_PATH}/swagger-ui.css">
  <link rel="stylesheet" href="${DOCS_PATH}/index.css">
  <link rel="icon" type="image/png" href="${DOCS_PATH}/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${DOCS_PATH}/swagger-ui-bundle.js"></script>
  <script src="${DOCS_PATH}/init.js"></script>
</body>
</html>
`;

/** The files of swagger-ui-dist the page uses: nothing else in node_modules is reachable. */
const PACKAGE_FILES: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'index.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

/** Serves the page's scripts and styles under /docs/. */
export function docsAssets(): Middleware {
  const root = absolutePath();
  const initializerTag = createHash('sha256').update(INITIALIZER).digest('hex').slice(0, 16);
  const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  const initializer = Buffer.from(INITIALIZER);
  // Read on first request, then kept: a handful of files, ~1.5 MB in all.
  const loaded = new Map<string, Buffer>();
  return async (ctx, next) => {
    if (!ctx.path.startsWith(`${DOCS_PATH}/`) || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    const name = ctx.path.slice(DOCS_PATH.length + 1);
    if (name !== 'init.js' && !Object.hasOwn(PACKAGE_FILES, name)) return next();
    ctx.state.routeTemplate = `${DOCS_PATH}/{asset}`;
    // The URLs stay the same across upgrades of the package: browsers revalidate, by its version.
    if (name === 'init.js') {
      sendCacheable(ctx, {
        etag: initializerTag,
        contentType: 'text/javascript; charset=utf-8',
        bytes: initializer,
        cacheControl: 'no-cache',
      });
      return;
    }
    let bytes = loaded.get(name);
    if (!bytes) loaded.set(name, (bytes = await readFile(path.join(root, name))));
    sendCacheable(ctx, {
      etag: `${version}-${name}`,
      contentType: PACKAGE_FILES[name],
      bytes,
      cacheControl: 'no-cache',
    });
  };
}
