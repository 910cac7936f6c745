import type { FeedNotice } from './notice';

/** The audience key of notices shown to everyone (user ids are UUIDs, so it cannot clash). */
export const EVERYONE = '*';

/** One notice as stored for one audience: `seq` orders the notices of one event. */
export interface FeedRow {
  audience: string;
  position: number;
  seq: number;
  notice: FeedNotice;
}

export type FeedOp =
  | { kind: 'feed.add'; row: FeedRow }
  /** The user erased: their own feed goes, and their messages in others' feeds read as erased. */
  | { kind: 'feed.erase'; user_id: string };

export interface FeedQueries {
  /**
   * The notices shown to `userId` (addressed to them or to everyone) with `after` < position ≤
   * `upTo`, in log order, at most `limit`. Reads only this user's rows and everyone's, so its cost
   * does not grow with what other users did meanwhile.
   */
  feedFor(userId: string, after: number, upTo: number, limit: number): Promise<FeedNotice[]>;
}

/** The table (SQLite) and collection (MongoDB). */
export const FEED = 'rm_feed';

/** Merges two runs of rows, each in log order, into the first `limit` of both, in log order. */
export function mergeRuns(a: FeedRow[], b: FeedRow[], limit: number): FeedNotice[] {
  const out: FeedNotice[] = [];
  let i = 0;
  let j = 0;
  while (out.length < limit && (i < a.length || j < b.length)) {
    const x = a[i];
    const y = b[j];
    const takeA =
      y === undefined ||
      (x !== undefined && (x.position < y.position || (x.position === y.position && x.seq <= y.seq)));
    out.push(takeA ? a[i++].notice : b[j++].notice);
  }
  return out;
}
