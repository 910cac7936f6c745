import { expect } from 'chai';
import { expectError, expectStatus } from './helpers/assert';
import { registerAndLogin, type Client, type TestUser } from './helpers/http';
import { fileForm, gif, jpeg, png, webp } from './helpers/images';
import { useServer } from './helpers/suite';

describe('REST: profile pictures', () => {
  const fixture = useServer();
  let api: Client;
  let alice: TestUser;
  before(async () => {
    api = fixture.api;
    alice = await registerAndLogin(api);
  });

  const upload = (body: BodyInit) => api.patch('/users/add_picture', { token: alice.access_token, body });
  const fetchPicture = (username: string, headers: Record<string, string> = {}) =>
    fetch(`${fixture.server.url}/users/${username}/picture`, { headers });

  for (const [name, bytes, mime] of [
    ['PNG', png(), 'image/png'],
    ['JPEG', jpeg(), 'image/jpeg'],
    ['GIF', gif(), 'image/gif'],
    ['WebP', webp(), 'image/webp'],
  ] as const) {
    it(`accepts a ${name} recognised by its bytes (whatever its name and declared type) and serves it back`, async () => {
      const reply = await upload(fileForm(bytes, 'upload.bin', 'application/octet-stream'));
      expectStatus(reply, 200);
      expect(reply.body).to.deep.equal({ picture: `/users/${alice.username}/picture` });

      const served = await fetchPicture(alice.username);
      expect(served.status).to.equal(200);
      expect(served.headers.get('content-type')).to.equal(mime);
      expect(Buffer.from(await served.arrayBuffer()).equals(bytes)).to.equal(true);
      expect((await api.get('/users/me', { token: alice.access_token })).body.picture).to.equal(
        `/users/${alice.username}/picture`,
      );
      expect((await api.get(`/users/${alice.username}`)).body.picture).to.equal(`/users/${alice.username}/picture`);
    });
  }

  it('serves an ETag and caching headers, and 304 for a matching If-None-Match', async () => {
    expectStatus(await upload(fileForm(png([1, 2, 3]), 'me.png', 'image/png')), 200);
    const first = await fetchPicture(alice.username.toUpperCase());
    expect(first.status).to.equal(200);
    const etag = first.headers.get('etag');
    expect(etag).to.match(/^"[0-9a-f]{64}"$/);
    expect(first.headers.get('cache-control')).to.match(/max-age=\d+/);

    // max-age=0 as a browser revalidates (fetch would otherwise add Cache-Control: no-cache, which forbids a 304).
    const again = await fetchPicture(alice.username, { 'If-None-Match': etag!, 'Cache-Control': 'max-age=0' });
    expect(again.status).to.equal(304);
    expect((await again.arrayBuffer()).byteLength).to.equal(0);

    // A new picture has a new ETag: the old one no longer matches.
    expectStatus(await upload(fileForm(png([4, 5, 6]), 'me.png', 'image/png')), 200);
    const changed = await fetchPicture(alice.username, { 'If-None-Match': etag!, 'Cache-Control': 'max-age=0' });
    expect(changed.status).to.equal(200);
    expect(changed.headers.get('etag')).not.to.equal(etag);
  });

  it('415 for a text file named .png', async () => {
    expectError(
      await upload(fileForm(Buffer.from('just some text, not an image\n'), 'picture.png', 'text/plain')),
      415,
      'picture_unsupported',
    );
  });

  it('415 for non-image bytes declared as image/png', async () => {
    expectError(
      await upload(fileForm(Buffer.from('%PDF-1.4\n%fake\n'), 'picture.png', 'image/png')),
      415,
      'picture_unsupported',
    );
  });

  it('415 for a recognised type that is not an accepted image (a BMP)', async () => {
    const bmp = Buffer.alloc(58);
    bmp.write('BM', 0, 'ascii');
    bmp.writeUInt32LE(58, 2);
    bmp.writeUInt32LE(54, 10);
    bmp.writeUInt32LE(40, 14);
    bmp.writeInt32LE(1, 18);
    bmp.writeInt32LE(1, 22);
    bmp.writeUInt16LE(1, 26);
    bmp.writeUInt16LE(24, 28);
    expectError(await upload(fileForm(bmp, 'a.bmp', 'image/bmp')), 415, 'picture_unsupported');
  });

  it('413 for a picture over 5 MiB, and the old picture stays', async () => {
    const before = await fetchPicture(alice.username);
    const big = Buffer.concat([png(), Buffer.alloc(5 * 1024 * 1024 + 1)]);
    expectError(await upload(fileForm(big, 'big.png', 'image/png')), 413, 'payload_too_large');
    const after = await fetchPicture(alice.username);
    expect(after.headers.get('etag')).to.equal(before.headers.get('etag'));
  });

  it('400 when the file field is missing or named otherwise', async () => {
    const noFile = new FormData();
    noFile.append('note', 'no file here');
    expectError(await upload(noFile), 400, 'invalid_request');
    expectError(await upload(fileForm(png(), 'a.png', 'image/png', 'picture')), 400, 'invalid_request');
  });

  it('415 for a body that is not multipart', async () => {
    expectError(await api.patch('/users/add_picture', { token: alice.access_token, json: { file: 'x' } }), 415);
  });

  it('401 without a token', async () => {
    const reply = await api.patch('/users/add_picture', { body: fileForm(png(), 'a.png', 'image/png') });
    expectError(reply, 401, 'not_authenticated');
  });

  it('404 JSON for a user without a picture, or no such user', async () => {
    const bob = await registerAndLogin(api);
    expectError(await api.get(`/users/${bob.username}/picture`), 404, 'picture_not_found');
    expectError(await api.get('/users/nobody_at_all/picture'), 404);
  });
});
