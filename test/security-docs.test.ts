import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { RetriesExhaustedError } from '../src/app/execute';
import { DOMAIN_STATUS, toHttpError } from '../src/edge/errors';
import { ConcurrencyError } from '../src/store/ports';

const ROOT = path.join(__dirname, '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir)).flatMap((name) => {
    const rel = path.join(dir, name);
    return statSync(path.join(ROOT, rel)).isDirectory() ? sourceFiles(rel) : rel.endsWith('.ts') ? [rel] : [];
  });
}

const all = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].map((m) => m[1]);

/**
 * Error codes the server can answer with: the mapping's own (domain codes, framework errors by
 * status, conflicts, the opaque 500), and every code a source file throws or sends literally.
 */
function producibleCodes(): Set<string> {
  const codes = new Set<string>(Object.keys(DOMAIN_STATUS));
  for (let status = 400; status < 600; status++) codes.add(toHttpError(Object.assign(new Error('x'), { status })).code);
  codes.add(toHttpError(new RetriesExhaustedError(new ConcurrencyError('s', 0, 1))).code);
  const producers = [
    /new HttpError\(\s*\d{3},\s*'([a-z_]+)'/g,
    /FrameError\(\s*'([a-z_]+)'/g,
    /sendError\(\s*'([a-z_]+)'/g,
    /refuse\(\s*\d{3},\s*'([a-z_]+)'/g,
    /\bcode: '([a-z_]+)'/g,
    /\[\s*\d{3}, '[^']*', '([a-z_]+)'/g,
  ];
  for (const file of sourceFiles('src'))
    for (const pattern of producers) for (const code of all(read(file), pattern)) codes.add(code);
  return codes;
}

/** Codes the docs name: after a status ("413 `payload_too_large`"), in an error example, or as a row of an error-code table. */
function documentedCodes(file: string): string[] {
  const text = read(file);
  return [
    ...new Set([
      ...all(text, /\b[45]\d\d `([a-z]+_[a-z_]+)`/g),
      ...all(text, /"code": "([a-z]+_[a-z_]+)"/g),
      ...all(text, /^\| (?:[45]\d\d \| )?`([a-z]+_[a-z_]+)` \|/gm),
      ...all(text, /an `error` frame with `([a-z]+_[a-z_]+)`/g),
    ]),
  ];
}

describe('docs: every error code they name is one the server can produce', () => {
  const producible = producibleCodes();

  it('finds the codes the server produces (the check itself looks in the right places)', () => {
    for (const code of [
      'validation_failed',
      'invalid_request',
      'payload_too_large',
      'unsupported_media_type',
      'invalid_json',
      'concurrent_update',
      'internal_error',
      'rate_limited',
      'not_authenticated',
      'shutting_down',
      'headers_too_large',
    ]) {
      expect(producible, code).to.include(code);
    }
    expect(producible).not.to.include('invalid_reqest');
  });

  it('finds the codes in the documents that list them', () => {
    expect(documentedCodes('docs/security.md')).to.include.members([
      'payload_too_large',
      'invalid_request',
      'invalid_json',
    ]);
    expect(documentedCodes('docs/websocket.md')).to.include.members(['invalid_json', 'unknown_type', 'shutting_down']);
  });

  // The documents that list error codes (other docs' tables name collections and tables, not codes).
  for (const file of ['docs/security.md', 'docs/websocket.md']) {
    it(file, () => {
      expect(
        documentedCodes(file).filter((code) => !producible.has(code)),
        'named in the docs but never produced',
      ).to.deep.equal([]);
    });
  }
});
