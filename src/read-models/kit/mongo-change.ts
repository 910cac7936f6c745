import type { MongoWriter } from './mongo';

/**
 * Edits and deletes of a message collection, whose documents are found by id and the `keys` fields
 * (the op has a field of the same name for each). An edit after a delete changes nothing; a message
 * the collection does not hold (trimmed from an inbox) is left alone. Same meaning as on SQLite.
 */
export function changeWrites<K extends string>(collection: string, keys: readonly K[]) {
  const filter = (op: Record<K | 'id', string>) => Object.fromEntries([...keys, 'id'].map((k) => [k, op[k as K]]));
  return {
    edit: (op: Record<K | 'id' | 'text' | 'edited_at', string>, w: MongoWriter): void => {
      w.write(collection, {
        updateOne: {
          filter: { ...filter(op), deleted: { $ne: true } },
          update: { $set: { text: op.text, edited_at: op.edited_at } },
        },
      });
    },
    delete: (op: Record<K | 'id', string>, w: MongoWriter): void => {
      w.write(collection, { updateOne: { filter: filter(op), update: { $set: { text: null, deleted: true } } } });
    },
  };
}

/** Documents written before edits existed have neither field: never edited, not deleted. */
export const withChangeDefaults = <T extends { edited_at?: string | null; deleted?: boolean }>(doc: T): T => ({
  ...doc,
  edited_at: doc.edited_at ?? null,
  deleted: doc.deleted ?? false,
});
