import { emailStream } from '../events';
import { deriveKey, keyedHash } from './crypto';

const STREAM_PREFIX = emailStream('');

/**
 * Email claim streams are named after the claimed address's key, so the stream name would hold the
 * address. They are named after a keyed hash of it instead (HMAC-SHA256 under a key derived from
 * PRIVACY_KEY): uniqueness still conflicts in the store, and the log holds no address. A hashed key
 * never contains '@', which every address key does: that tells the two kinds of names apart.
 */
export class EmailClaimNames {
  private readonly key: Buffer;

  constructor(master: Buffer) {
    this.key = deriveKey(master, 'email claims');
  }

  /** The plain address key of a claim stream as the deciders name it, or null for other streams. */
  static plainKey(stream: string): string | null {
    if (!stream.startsWith(STREAM_PREFIX)) return null;
    const key = stream.slice(STREAM_PREFIX.length);
    return key.includes('@') ? key : null;
  }

  /** The key stored in claim events and stream names. */
  hashedKey(plainKey: string): string {
    return `h1:${keyedHash(this.key, plainKey)}`;
  }

  hashedStream(plainKey: string): string {
    return emailStream(this.hashedKey(plainKey));
  }
}
