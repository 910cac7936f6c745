import { randomBytes } from 'node:crypto';
import { DomainError } from '../commands/decider';
import { deriveKey, open, seal } from './crypto';

import type { DataKeyStore, StoredDataKey } from '../store/data-key-port';

export type { DataKeyStore, StoredDataKey };

/**
 * Thrown when personal data would be written for a user whose key was deleted (a message sent by
 * a session the erasure is just ending): it is refused, never stored in plaintext or under a new key.
 */
export class UserErasedError extends DomainError {
  constructor(readonly userId: string) {
    super('session_invalid', 'this account has been erased');
    this.name = 'UserErasedError';
  }
}

/** How many unwrapped keys a ring keeps in memory. */
const CACHE_SIZE = 100_000;

/**
 * The data keys in use, unwrapped, in front of the key store. A key is cached once read; `forget`
 * drops it (on erasure, and when a UserErased event goes by, so other instances stop using it too).
 */
export class KeyRing {
  private readonly wrapKey: Buffer;
  /** user id → its key, or null: erased. */
  private readonly cache = new Map<string, Buffer | null>();
  private readonly forgetListeners: (() => void)[] = [];

  constructor(
    readonly store: DataKeyStore,
    master: Buffer,
  ) {
    this.wrapKey = deriveKey(master, 'data-key wrapping');
  }

  /** The user's key; null if it was deleted, or never made (then nothing of theirs is encrypted). */
  async key(userId: string): Promise<Buffer | null> {
    const cached = this.cache.get(userId);
    if (cached !== undefined) return cached;
    const stored = await this.store.get(userId);
    if (!stored) return null;
    return this.remember(userId, this.unwrap(stored));
  }

  /** The key to encrypt with, made on first use; UserErasedError once the user was erased. */
  async keyForWriting(userId: string): Promise<Buffer> {
    const known = await this.key(userId);
    if (known) return known;
    if (this.cache.get(userId) === null) throw new UserErasedError(userId);
    const stored = await this.store.create(userId, seal(this.wrapKey, randomBytes(32), userId));
    const key = this.remember(userId, this.unwrap(stored));
    if (!key) throw new UserErasedError(userId);
    return key;
  }

  /** Deletes the user's key in the store and here. */
  async erase(userId: string, time: string): Promise<void> {
    await this.store.erase(userId, time);
    this.forget(userId);
    this.remember(userId, null);
  }

  /** Drops the user's key from memory, and tells whoever kept something opened with a key. */
  forget(userId: string): void {
    this.cache.delete(userId);
    for (const listener of this.forgetListeners) listener();
  }

  onForget(listener: () => void): void {
    this.forgetListeners.push(listener);
  }

  /** Whether this wrapped key opens with this installation's master key (keys import checks it). */
  opens(key: StoredDataKey): boolean {
    return key.wrapped === null || open(this.wrapKey, key.wrapped, key.user_id) !== null;
  }

  private unwrap(stored: StoredDataKey): Buffer | null {
    if (!stored.wrapped) return null;
    const key = open(this.wrapKey, stored.wrapped, stored.user_id);
    if (!key)
      throw new Error(
        `the data key of user ${stored.user_id} does not open with this PRIVACY_KEY: ` +
          'the key store belongs to another installation, or PRIVACY_KEY changed (docs/privacy.md)',
      );
    return key;
  }

  private remember(userId: string, key: Buffer | null): Buffer | null {
    if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(userId, key);
    return key;
  }
}
