export interface BlockRow {
  blocker_id: string;
  blocked_id: string;
  /** The blocked user's username. */
  blocked: string;
  /** Log position of the UserBlocked event: the list is in the order blocked. */
  position: number;
}

export type BlockOp =
  | { kind: 'block.add'; block: BlockRow }
  | { kind: 'block.remove'; blocker_id: string; blocked_id: string }
  /** The user erased: their block list goes, and so do the blocks of them (nobody is left to block). */
  | { kind: 'block.erase'; user_id: string };

export interface BlocksQueries {
  /** Whom a user blocked, in the order blocked (oldest first). */
  blocks(blockerId: string): Promise<BlockRow[]>;
}

/** The table (SQLite) and collection (MongoDB). */
export const BLOCKS = 'rm_blocks';
