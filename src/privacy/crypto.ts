import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/** AES-256-GCM: 12-byte nonce, 16-byte tag. */
const NONCE = 12;
const TAG = 16;

/** nonce | ciphertext | tag, bound to `aad` (what the value belongs to, so it cannot be moved elsewhere). */
export function seal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

/** The plaintext, or null when the box was not sealed with this key and aad (or is damaged). */
export function open(key: Buffer, box: Buffer, aad: string): Buffer | null {
  if (box.length < NONCE + TAG) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, box.subarray(0, NONCE));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(box.subarray(box.length - TAG));
    return Buffer.concat([decipher.update(box.subarray(NONCE, box.length - TAG)), decipher.final()]);
  } catch {
    return null;
  }
}

/** A key for one purpose derived from the master key, so that no two purposes share key material. */
export function deriveKey(master: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `parley ${purpose}`, 32));
}

/** A keyed hash: equal inputs give equal outputs, and without the key nobody can test a guess. */
export function keyedHash(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(value).digest('hex');
}
