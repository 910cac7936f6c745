import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Type } from '@sinclair/typebox';
import type { Context, Middleware } from 'koa';
import { HttpError } from '../edge/errors';
import { PAGE_PREFIX, WS_PATH } from '../edge/paths';
import { sendCacheable } from './cacheable';
import { route, type Route } from './route';

/** The page's scripts and styles are files of its own, so no inline code is needed or allowed. */
export const PAGE_CSP = [
  "default-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "style-src 'self'",
  "script-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

interface Asset {
  type: string;
  bytes: Buffer;
  etag: string;
}

/** The package root: where package.json is, whether we run from src/ (tsx) or dist/ (compiled). */
function packageRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  }
}

export const WEB_DIR = path.join(packageRoot(), 'web');

/**
 * The files of web/ (flat, known types only), read once. Requests are looked up by exact name in
 * this table, so no request path ever reaches the file system.
 */
function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[path.extname(name)];
    const file = path.join(dir, name);
    if (!type || !statSync(file).isFile()) continue;
    const bytes = readFileSync(file);
    assets.set(name, { type, bytes, etag: `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"` });
  }
  if (!assets.has('index.html')) throw new Error(`${dir} has no index.html`);
  return assets;
}

let webAssets: Map<string, Asset> | null = null;
const assets = (): Map<string, Asset> => (webAssets ??= loadAssets(WEB_DIR));

function sendAsset(ctx: Context, asset: Asset): void {
  ctx.set('Content-Security-Policy', PAGE_CSP);
  sendCacheable(ctx, { etag: asset.etag, contentType: asset.type, bytes: asset.bytes, cacheControl: 'no-cache' });
}

/** The page itself, as a route of its own so that the API's document shows it. */
export const pageRoutes: Route[] = [
  route({
    method: 'GET',
    path: PAGE_PREFIX,
    operationId: 'chatPage',
    tag: 'messenger',
    auth: false,
    summary: 'The chat page: log in and chat from the browser',
    description: `An HTML page; its scripts and styles are files beside it under ${PAGE_PREFIX}, and it chats over the WebSocket at ${WS_PATH}.`,
    responses: {
      200: { description: 'the page, with an ETag', contentType: 'text/html', schema: Type.String() },
      304: { description: 'not modified (If-None-Match matched)' },
    },
    async handle({ ctx }) {
      sendAsset(ctx, assets().get('index.html')!);
    },
  }),
];

/** Serves the chat page's files under /messenger/; /messenger redirects to the page. */
export function messengerPage(): Middleware {
  const table = assets();
  return async (ctx, next: () => Promise<void>) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    if (ctx.path === '/messenger') {
      ctx.status = 301;
      ctx.redirect(PAGE_PREFIX);
      return;
    }
    if (ctx.path === WS_PATH) {
      throw new HttpError(
        426,
        'upgrade_required',
        'this is the chat WebSocket: connect with a WebSocket client',
        undefined,
        { Upgrade: 'websocket' },
      );
    }
    if (!ctx.path.startsWith(PAGE_PREFIX)) return next();
    const asset = table.get(ctx.path.slice(PAGE_PREFIX.length) || 'index.html');
    if (!asset) return next();
    sendAsset(ctx, asset);
  };
}
