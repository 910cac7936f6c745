import type Database from 'better-sqlite3';
import { pairKey, READ_MODEL_OF, type PrivateMessageRow, type ReadModelOp, type UserChanges } from '../read-models';


export const pmParams = (m: PrivateMessageRow) => [m.position, m.id, m.from_id, m.from, m.to_id, m.to, m.text, m.sent_at];

/** Column of rm_users for each changeable field (a fixed list: no field name reaches SQL from outside). */
const USER_COLUMNS: Record<keyof UserChanges, (v: unknown) => unknown> = {
  email: (v) => v,
  first_name: (v) => v,
  last_name: (v) => v,
  phone: (v) => v,
  pm_policy: (v) => v,
  phone_public: (v) => (v ? 1 : 0),
  picture: (v) => (v ? JSON.stringify(v) : null),
};


/**
 * Turns read-model ops into SQL against a set of tables: the live ones, or a rebuild's shadows.
 * `tableFor` maps a live table's name to the one to write (and refuses tables not being written).
 * Statements are prepared on first use, so a shadow of one projection never touches other tables.
 */
export class ReadModelWriter {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database, private readonly tableFor: (liveTable: string) => string) {}

  apply(op: ReadModelOp): void {
    switch (op.kind) {
      case 'user.insert': {
        const u = op.user;
        this.stmt(op.kind, (t) => `INSERT INTO ${t} (user_id, username, username_key, email, first_name, last_name, phone, pm_policy, phone_public, picture, created_at, updated_at, version)
          VALUES (@user_id, @username, @username_key, @email, @first_name, @last_name, @phone, @pm_policy, @phone_public, @picture, @created_at, @updated_at, @version)
          ON CONFLICT (user_id) DO NOTHING`).run({ ...u, phone_public: u.phone_public ? 1 : 0, picture: u.picture ? JSON.stringify(u.picture) : null });
        return;
      }
      case 'user.change': {
        const fields = Object.keys(op.changes) as (keyof UserChanges)[];
        if (fields.length === 0) return;
        const values = fields.map((f) => USER_COLUMNS[f](op.changes[f]));
        // The version guard makes a replayed change a no-op.
        this.stmt(`${op.kind}:${fields.join(',')}`, (t) => `UPDATE ${t} SET ${fields.map((f) => `${f} = ?`).join(', ')}, updated_at = ?, version = ? WHERE user_id = ? AND version < ?`, op.kind)
          .run(...values, op.updated_at, op.version, op.user_id, op.version);
        return;
      }
      case 'session.start':
        this.stmt(op.kind, (t) => `INSERT INTO ${t} (session_id, user_id, refresh_id, expires_at, started_at, revoked)
          VALUES (@session_id, @user_id, @refresh_id, @expires_at, @started_at, @revoked) ON CONFLICT (session_id) DO NOTHING`).run(op.session);
        return;
      case 'session.refresh':
        this.stmt(op.kind, (t) => `UPDATE ${t} SET refresh_id = ?, expires_at = ? WHERE session_id = ?`).run(op.refresh_id, op.expires_at, op.session_id);
        return;
      case 'session.revoke':
        this.stmt(op.kind, (t) => `UPDATE ${t} SET revoked = ? WHERE session_id = ? AND revoked IS NULL`).run(op.reason, op.session_id);
        return;
      case 'inbox.add':
        this.stmt(op.kind, (t) => `INSERT OR IGNORE INTO ${t} (owner_id, position, id, from_id, from_name, to_id, to_name, text, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
          .run(op.message.to_id, ...pmParams(op.message));
        this.stmt('inbox.trim', (t) => `DELETE FROM ${t} WHERE owner_id = @owner AND position <=
          (SELECT position FROM ${t} WHERE owner_id = @owner ORDER BY position DESC LIMIT 1 OFFSET @keep)`, op.kind)
          .run({ owner: op.message.to_id, keep: op.keep });
        return;
      case 'conversation.add':
        this.stmt(op.kind, (t) => `INSERT OR IGNORE INTO ${t} (pair, position, id, from_id, from_name, to_id, to_name, text, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
          .run(pairKey(op.message.from_id, op.message.to_id), ...pmParams(op.message));
        return;
      case 'chat.add': {
        const m = op.message;
        this.stmt(op.kind, (t) => `INSERT OR IGNORE INTO ${t} (position, id, from_id, from_name, text, sent_at) VALUES (?, ?, ?, ?, ?, ?)`)
          .run(m.position, m.id, m.from_id, m.from, m.text, m.sent_at);
        return;
      }
    }
  }

  private stmt(key: string, sql: (table: string) => string, kind = key as ReadModelOp['kind']): Database.Statement {
    let stmt = this.statements.get(key);
    if (!stmt) {
      stmt = this.db.prepare(sql(this.tableFor(READ_MODEL_OF[kind])));
      this.statements.set(key, stmt);
    }
    return stmt;
  }
}
