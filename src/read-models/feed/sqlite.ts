import type { SqliteReadModel } from '../kit/sqlite';
import type { FeedNotice } from './notice';
import { EVERYONE, FEED, mergeRuns, type FeedOp, type FeedQueries, type FeedRow } from './types';

interface FeedRecord {
  position: number;
  seq: number;
  notice: string;
}

const toRow = (r: FeedRecord): FeedRow => ({
  audience: '',
  position: r.position,
  seq: r.seq,
  notice: JSON.parse(r.notice) as FeedNotice,
});

export const feedSqlite: SqliteReadModel<FeedOp, FeedQueries> = {
  ddl: {
    [FEED]: `
CREATE TABLE $T (
  audience TEXT    NOT NULL,
  position INTEGER NOT NULL,
  seq      INTEGER NOT NULL,
  notice   TEXT    NOT NULL,
  PRIMARY KEY (audience, position, seq)
) WITHOUT ROWID;`,
  },
  // Applied after a rebuild's staged rows are in (the erasure changes rows added before it).
  deferred: ['feed.erase'],
  apply: {
    'feed.add': (op, w) => {
      const r = op.row;
      w.statement(
        op.kind,
        FEED,
        (t) => `INSERT OR IGNORE INTO ${t} (audience, position, seq, notice)
        VALUES (?, ?, ?, ?)`,
      ).run(r.audience, r.position, r.seq, JSON.stringify(r.notice));
    },
    'feed.erase': (op, w) => {
      w.statement(`${op.kind}:own`, FEED, (t) => `DELETE FROM ${t} WHERE audience = ?`).run(op.user_id);
      // A scan, but erasure is rare: the messages they sent, in everyone else's feed, read as erased.
      w.statement(
        `${op.kind}:sent`,
        FEED,
        (t) => `UPDATE ${t} SET notice = json_set(notice, '$.message.text', '', '$.message.from', '')
        WHERE json_extract(notice, '$.message.from_id') = ? AND json_type(notice, '$.message.text') IS NOT NULL`,
      ).run(op.user_id);
    },
  },
  // A rebuild stages the rows (keyed by audience, so at random) and moves them in once in key order.
  staged: {
    [FEED]: {
      kind: 'feed.add',
      insert: 'INSERT INTO $S (audience, position, seq, notice) VALUES (?, ?, ?, ?)',
      sorted: 'SELECT * FROM $S ORDER BY audience, position, seq',
      open: () => ({
        params: (op) => {
          if (op.kind !== 'feed.add') throw new Error(`${op.kind} is not staged`);
          const r = op.row;
          return [r.audience, r.position, r.seq, JSON.stringify(r.notice)];
        },
        sortedParams: () => ({}),
      }),
    },
  },
  queries(db) {
    // One range of the primary key per audience, each already in order: no sort, and it stops at `limit`.
    const run = db.prepare(`SELECT position, seq, notice FROM rm_feed
      WHERE audience = ? AND position > ? AND position <= ? ORDER BY position, seq LIMIT ?`);
    const rows = (audience: string, after: number, upTo: number, limit: number) =>
      (run.all(audience, after, upTo, limit) as FeedRecord[]).map(toRow);
    return {
      async feedFor(userId, after, upTo, limit) {
        if (limit <= 0) return [];
        return mergeRuns(rows(userId, after, upTo, limit), rows(EVERYONE, after, upTo, limit), limit);
      },
    };
  },
};
