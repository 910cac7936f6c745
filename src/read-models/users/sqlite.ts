import type { SqliteReadModel } from '../kit/sqlite';
import { USERS, prefixEnd, type UserChanges, type UserOp, type UserRow, type UsersQueries } from './types';

interface UserRecord extends Omit<UserRow, 'phone_public' | 'read_receipts' | 'picture'> {
  phone_public: number;
  read_receipts: number;
  picture: string | null;
}

const toUser = (r: UserRecord): UserRow => {
  const { phone_public, read_receipts, picture, ...rest } = r;
  return {
    ...rest,
    phone_public: phone_public === 1,
    read_receipts: read_receipts === 1,
    picture: picture ? (JSON.parse(picture) as UserRow['picture']) : null,
  };
};

/** Column of rm_users for each changeable field (a fixed list: no field name reaches SQL from outside). */
const USER_COLUMNS: Record<keyof UserChanges, (v: unknown) => unknown> = {
  email: (v) => v,
  first_name: (v) => v,
  last_name: (v) => v,
  phone: (v) => v,
  pm_policy: (v) => v,
  phone_public: (v) => (v ? 1 : 0),
  read_receipts: (v) => (v ? 1 : 0),
  picture: (v) => (v ? JSON.stringify(v) : null),
};

export const usersSqlite: SqliteReadModel<UserOp, UsersQueries> = {
  ddl: {
    [USERS]: `
CREATE TABLE $T (
  user_id      TEXT PRIMARY KEY,
  username     TEXT NOT NULL,
  username_key TEXT NOT NULL UNIQUE,
  email        TEXT NOT NULL,
  first_name   TEXT,
  last_name    TEXT,
  phone        TEXT,
  pm_policy    TEXT NOT NULL,
  phone_public INTEGER NOT NULL,
  read_receipts INTEGER NOT NULL DEFAULT 1,
  picture      TEXT,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  version      INTEGER NOT NULL
);`,
  },
  // Before the setting existed nobody had turned read receipts off.
  added: { [USERS]: ['read_receipts INTEGER NOT NULL DEFAULT 1'] },
  apply: {
    'user.insert': (op, w) => {
      const u = op.user;
      w.statement(
        op.kind,
        USERS,
        (t) => `INSERT INTO ${t} (user_id, username, username_key, email, first_name,
          last_name, phone, pm_policy, phone_public, read_receipts, picture, created_at, updated_at, version)
        VALUES (@user_id, @username, @username_key, @email, @first_name, @last_name, @phone, @pm_policy,
          @phone_public, @read_receipts, @picture, @created_at, @updated_at, @version)
        ON CONFLICT (user_id) DO NOTHING`,
      ).run({
        ...u,
        phone_public: u.phone_public ? 1 : 0,
        read_receipts: u.read_receipts ? 1 : 0,
        picture: u.picture ? JSON.stringify(u.picture) : null,
      });
    },
    'user.change': (op, w) => {
      const fields = Object.keys(op.changes) as (keyof UserChanges)[];
      if (fields.length === 0) return;
      const values = fields.map((f) => USER_COLUMNS[f](op.changes[f]));
      // The version guard makes a replayed change a no-op.
      w.statement(
        `${op.kind}:${fields.join(',')}`,
        USERS,
        (t) => `UPDATE ${t}
        SET ${fields.map((f) => `${f} = ?`).join(', ')}, updated_at = ?, version = ? WHERE user_id = ? AND version < ?`,
      ).run(...values, op.updated_at, op.version, op.user_id, op.version);
    },
    'user.erase': (op, w) => {
      w.statement(op.kind, USERS, (t) => `DELETE FROM ${t} WHERE user_id = ?`).run(op.user_id);
    },
  },
  queries(db) {
    const byId = db.prepare('SELECT * FROM rm_users WHERE user_id = ?');
    const byKey = db.prepare('SELECT * FROM rm_users WHERE username_key = ?');
    const search = db.prepare(
      'SELECT * FROM rm_users WHERE username_key >= ? AND username_key < ? ORDER BY username_key LIMIT ?',
    );
    // A scan, but erasure is rare and rm_users small beside the message tables.
    const withPicture = db.prepare<[string], { n: number }>(
      "SELECT count(*) AS n FROM rm_users WHERE json_extract(picture, '$.id') = ?",
    );
    const one = (r: unknown) => (r ? toUser(r as UserRecord) : null);
    return {
      userById: async (userId) => one(byId.get(userId)),
      userByKey: async (usernameKey) => one(byKey.get(usernameKey)),
      searchUsers: async (prefixKey, limit) =>
        (search.all(prefixKey, prefixEnd(prefixKey), limit) as UserRecord[]).map(toUser),
      usersWithPicture: async (pictureId) => withPicture.get(pictureId)!.n,
    };
  },
};
