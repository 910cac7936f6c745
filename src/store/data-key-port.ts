/** A user's data key as the key store holds it: wrapped by the master key, or gone (erased). */
export interface StoredDataKey {
  user_id: string;
  /** The data key sealed under the master key; null once the user was erased. */
  wrapped: Buffer | null;
  /** When the key was deleted (ISO time); null while it exists. */
  erased_at: string | null;
}

/**
 * The key store: per-user data keys, kept outside the event log (a table on SQLite, a collection on
 * MongoDB). Deleting a key is what erases a user's personal data from the log and its backups.
 */
export interface DataKeyStore {
  get(userId: string): Promise<StoredDataKey | null>;
  /** Stores the key unless the user has one (or was erased); returns what is stored afterwards. */
  create(userId: string, wrapped: Buffer): Promise<StoredDataKey>;
  /** Deletes the key for good, leaving a tombstone so that none is ever made again for the user. */
  erase(userId: string, time: string): Promise<void>;
  /** Every key and tombstone, for `parley privacy keys export`, in user id order. */
  list(): AsyncIterable<StoredDataKey>;
  /** Writes keys as exported; a user's existing entry is kept (a tombstone always wins). */
  importKeys(keys: StoredDataKey[]): Promise<void>;
  /** Small facts about the installation's protection (e.g. `legacy_until`, see docs/privacy.md). */
  getMeta(name: string): Promise<string | null>;
  setMeta(name: string, value: string): Promise<void>;
}
