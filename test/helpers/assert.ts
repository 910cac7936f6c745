import { expect } from 'chai';
import type { Reply } from './http';

/** Asserts the API's one error shape: JSON {"error":{"code","message","details?"}} with this status (and code). */
export function expectError(reply: Reply, status: number, code?: string): void {
  expect(reply.status, JSON.stringify(reply.body)).to.equal(status);
  expect(reply.headers.get('content-type')).to.match(/^application\/json/);
  expect(reply.body).to.have.property('error');
  expect(reply.body.error.message).to.be.a('string').and.not.be.empty;
  if (code) expect(reply.body.error.code).to.equal(code);
}

/** Asserts a 2xx-or-other status, showing the body when it is not. */
export function expectStatus(reply: Reply, status: number): void {
  expect(reply.status, JSON.stringify(reply.body)).to.equal(status);
}
