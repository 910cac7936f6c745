import type { Context } from 'koa';

export interface CacheableBody {
  etag: string;
  contentType: string;
  bytes: Buffer;
  cacheControl: string;
}

/** Answers with bytes under an ETag: 304 without a body when the client's copy is current. */
export function sendCacheable(ctx: Context, body: CacheableBody): void {
  ctx.set('Cache-Control', body.cacheControl);
  ctx.etag = body.etag;
  ctx.status = 200;
  if (ctx.fresh) {
    ctx.status = 304;
    return;
  }
  ctx.type = body.contentType;
  ctx.body = body.bytes;
}
