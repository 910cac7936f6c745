import type { EventOf } from './envelope';

/** Who may send a user private messages. */
export type PmPolicy = 'everyone' | 'nobody';

export interface UserSettings {
  pm_policy: PmPolicy;
  phone_public: boolean;
  /**
   * Whether the people you read PMs from are told (receipt frames). Absent from events written
   * before the setting existed, which read as true (the default): no upcaster needed.
   */
  read_receipts?: boolean;
}

export interface PictureRef {
  /** sha256 of the bytes, hex: also the key in the picture store and the ETag. */
  id: string;
  content_type: string;
  size: number;
}

export interface ProfileFields {
  email: string;
  first_name: string | null;
  last_name: string | null;
  phone: string | null;
}

export type UserRegistered = EventOf<
  'UserRegistered',
  {
    user_id: string;
    username: string;
    /**
     * The case-folded key the username was claimed under (schema v2). Recorded rather than
     * recomputed, so a later change to the folding rule cannot change what replaying this event gives.
     */
    username_key: string;
    password_hash: string;
    settings: UserSettings;
  } & ProfileFields
>;

export type ProfileUpdated = EventOf<
  'ProfileUpdated',
  {
    user_id: string;
    changes: Partial<ProfileFields>;
  }
>;

export type SettingsChanged = EventOf<
  'SettingsChanged',
  {
    user_id: string;
    changes: Partial<UserSettings>;
  }
>;

export type PasswordChanged = EventOf<
  'PasswordChanged',
  {
    user_id: string;
    password_hash: string;
  }
>;

export type PictureChanged = EventOf<
  'PictureChanged',
  {
    user_id: string;
    picture: PictureRef | null;
  }
>;

/**
 * In the blocker's user stream: the blocker's state (which the PM decider loads for the recipient
 * anyway) then holds the block list. `blocked` is the blocked user's username, for the read model.
 */
export type UserBlocked = EventOf<'UserBlocked', { user_id: string; blocked_id: string; blocked: string }>;
export type UserUnblocked = EventOf<'UserUnblocked', { user_id: string; blocked_id: string; blocked: string }>;

/**
 * The account was erased at its owner's request: its data key is deleted (docs/privacy.md), so the
 * personal fields of every event it wrote read back in their erased form from then on.
 */
export type UserErased = EventOf<'UserErased', { user_id: string }>;

export type UserEvent =
  | UserRegistered
  | ProfileUpdated
  | SettingsChanged
  | PasswordChanged
  | PictureChanged
  | UserBlocked
  | UserUnblocked
  | UserErased;

export const userStream = (userId: string): string => `user-${userId}`;
