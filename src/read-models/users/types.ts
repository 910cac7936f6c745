import type { PictureRef, PmPolicy } from '../../events';

export interface UserRow {
  user_id: string;
  username: string;
  /** The username normalised and case-folded: what look-ups and search compare. */
  username_key: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  phone: string | null;
  pm_policy: PmPolicy;
  phone_public: boolean;
  read_receipts: boolean;
  picture: PictureRef | null;
  created_at: string;
  updated_at: string;
  /** Stream version of the user this row reflects: older changes are ignored. */
  version: number;
}

export type UserChanges = Partial<
  Pick<
    UserRow,
    'email' | 'first_name' | 'last_name' | 'phone' | 'pm_policy' | 'phone_public' | 'read_receipts' | 'picture'
  >
>;

export type UserOp =
  | { kind: 'user.insert'; user: UserRow }
  | { kind: 'user.change'; user_id: string; version: number; updated_at: string; changes: UserChanges }
  /** The user erased: the row goes (the username stays claimed in the log, so it stays taken). */
  | { kind: 'user.erase'; user_id: string };

export interface UsersQueries {
  userById(userId: string): Promise<UserRow | null>;
  /** Looks a user up by the normalised, case-folded username key. */
  userByKey(usernameKey: string): Promise<UserRow | null>;
  /** Users whose key starts with `prefix`, ordered by key. */
  searchUsers(prefixKey: string, limit: number): Promise<UserRow[]>;
  /** How many users have this picture now (pictures are shared by their hash; erasure keeps those in use). */
  usersWithPicture(pictureId: string): Promise<number>;
}

/** The table (SQLite) and collection (MongoDB). */
export const USERS = 'rm_users';

/** Every key starting with a prefix sorts between the prefix and the prefix followed by U+10FFFF. */
export const prefixEnd = (prefixKey: string): string => `${prefixKey}\u{10FFFF}`;
