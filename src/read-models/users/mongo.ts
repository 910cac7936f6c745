import type { Document } from 'mongodb';
import { insertOnce, type MongoReadModel } from '../kit/mongo';
import { USERS, prefixEnd, type UserChanges, type UserOp, type UserRow, type UsersQueries } from './types';

/** How each changeable user field is stored (a fixed list: no field name reaches the database from outside). */
const USER_FIELDS: Record<keyof UserChanges, (v: unknown) => unknown> = {
  email: (v) => v,
  first_name: (v) => v,
  last_name: (v) => v,
  phone: (v) => v,
  pm_policy: (v) => v,
  phone_public: (v) => Boolean(v),
  read_receipts: (v) => Boolean(v),
  picture: (v) => v || null,
};

const USER: Document = { _id: 0 };

/** Documents written before read_receipts existed lack it: the setting's default, on. */
const settled = (u: UserRow | null): UserRow | null => u && { ...u, read_receipts: u.read_receipts ?? true };

export const usersMongo: MongoReadModel<UserOp, UsersQueries> = {
  indexes: { [USERS]: [{ key: { username_key: 1 }, name: 'username_key', unique: true }] },
  apply: {
    'user.insert': (op, w) => w.write(USERS, insertOnce({ _id: op.user.user_id }, { ...op.user })),
    'user.change': (op, w) => {
      const fields = (Object.keys(op.changes) as (keyof UserChanges)[]).filter((f) => f in USER_FIELDS);
      if (fields.length === 0) return;
      const set: Document = { updated_at: op.updated_at, version: op.version };
      for (const f of fields) set[f] = USER_FIELDS[f](op.changes[f]);
      // The version guard makes a replayed (or older) change a no-op.
      w.write(USERS, {
        updateOne: { filter: { _id: op.user_id, version: { $lt: op.version } }, update: { $set: set } },
      });
    },
    'user.erase': (op, w) => w.write(USERS, { deleteOne: { filter: { _id: op.user_id } } }),
  },
  queries(db) {
    const users = db.collection(USERS);
    return {
      userById: async (userId) => settled(await users.findOne<UserRow>({ _id: userId as never }, { projection: USER })),
      userByKey: async (usernameKey) =>
        settled(await users.findOne<UserRow>({ username_key: usernameKey }, { projection: USER })),
      async searchUsers(prefixKey, limit) {
        if (limit <= 0) return [];
        // Keys compare as UTF-8 bytes, as in SQLite.
        return users
          .find<UserRow>({ username_key: { $gte: prefixKey, $lt: prefixEnd(prefixKey) } }, { projection: USER })
          .sort({ username_key: 1 })
          .limit(limit)
          .toArray()
          .then((rows) => rows.map((u) => settled(u)!));
      },
      usersWithPicture: (pictureId) => users.countDocuments({ 'picture.id': pictureId }),
    };
  },
};
