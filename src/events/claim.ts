import type { EventOf } from './envelope';

/**
 * Uniqueness of usernames and emails is kept by the write side: each normalised value has a stream
 * of its own, and claiming it appends to that stream with optimistic concurrency. Two concurrent
 * registrations of one name therefore conflict in the event store itself, on any engine.
 */
export type UsernameClaimed = EventOf<'UsernameClaimed', { key: string; user_id: string }>;
export type EmailClaimed = EventOf<'EmailClaimed', { key: string; user_id: string }>;
export type EmailReleased = EventOf<'EmailReleased', { key: string; user_id: string }>;

export type ClaimEvent = UsernameClaimed | EmailClaimed | EmailReleased;

export const usernameStream = (key: string): string => `username-${key}`;
export const emailStream = (key: string): string => `email-${key}`;
