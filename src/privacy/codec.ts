import type { ParleyEvent, StoredEvent } from '../events';
import { open, seal } from './crypto';
import { PERSONAL_FIELDS, type PersonalField } from './fields';
import type { KeyRing } from './keys';

/** How an encrypted field's value starts: no email, name or text of parley's own can start like this. */
export const SEALED_PREFIX = 'pii:v1:';

export const isSealed = (value: unknown): value is string =>
  typeof value === 'string' && value.startsWith(SEALED_PREFIX);

type Data = Record<string, unknown>;

/** How many opened events `recent` keeps. */
const RECENT_EVENTS = 20_000;

/** The object holding the field, or undefined where the event has no such field. */
function holder(data: Data, field: PersonalField): Data | undefined {
  let at: unknown = data;
  for (const key of field.path.slice(0, -1)) at = (at as Data | undefined)?.[key];
  return at !== null && typeof at === 'object' ? (at as Data) : undefined;
}

const leaf = (field: PersonalField): string => field.path[field.path.length - 1];
/** What a sealed value is bound to: its owner and its place, so that it cannot be moved elsewhere. */
const aad = (owner: string, type: string, field: PersonalField): string => `${owner}:${type}:${field.path.join('.')}`;

/** A copy of `data` down the paths of the personal fields, so that changing it leaves the original alone. */
function copyAlongPaths(data: Data, fields: readonly PersonalField[]): Data {
  const copy: Data = { ...data };
  for (const field of fields) {
    let at = copy;
    for (const key of field.path.slice(0, -1)) {
      const next = at[key];
      if (next === null || typeof next !== 'object') break;
      at[key] = { ...(next as Data) };
      at = at[key] as Data;
    }
  }
  return copy;
}

/**
 * Encrypts and decrypts events' personal fields (AES-256-GCM under the owner's data key). Deciders
 * and projections only see decrypted events; an event whose key was deleted decrypts to its erased
 * form, the same on every read, so a rebuild after erasure gives what incremental processing gave.
 */
export class PersonalDataCodec {
  /** Decrypted copies of the store's event objects, shared by every follower handed the same object. */
  private readonly decrypted = new WeakMap<StoredEvent, StoredEvent>();
  /**
   * Recently opened events by position: a recipient's registration is read for every message to
   * them. Emptied whenever a key is forgotten, so that nothing opened with it outlives it.
   */
  private readonly recent = new Map<number, StoredEvent>();

  constructor(private readonly ring: KeyRing) {
    ring.onForget(() => this.recent.clear());
  }

  /** The event as it is to be stored; plaintext fields of an erased owner throw UserErasedError. */
  async seal<E extends ParleyEvent>(event: E): Promise<E> {
    const spec = PERSONAL_FIELDS[event.type];
    if (!spec) return event;
    const data = event.data as Data;
    const owner = spec.owner(data);
    const present = spec.fields.filter(
      (f) => typeof holder(data, f)?.[leaf(f)] === 'string' && !isSealed(holder(data, f)![leaf(f)]),
    );
    if (present.length === 0) return event;
    const key = await this.ring.keyForWriting(owner);
    const copy = copyAlongPaths(data, present);
    for (const field of present) {
      const at = holder(copy, field)!;
      const box = seal(key, Buffer.from(at[leaf(field)] as string, 'utf8'), aad(owner, event.type, field));
      at[leaf(field)] = SEALED_PREFIX + box.toString('base64url');
    }
    return { ...event, data: copy };
  }

  /**
   * The event with its personal fields in plaintext, or in their erased form when the key is gone.
   * Fields stored in plaintext (a log written before this release, not yet migrated) pass as they are.
   */
  async open(event: StoredEvent): Promise<StoredEvent> {
    const done = this.decrypted.get(event);
    if (done) return done;
    const spec = PERSONAL_FIELDS[event.type];
    if (!spec) return event;
    const seen = this.recent.get(event.position);
    if (seen?.id === event.id) {
      this.decrypted.set(event, seen);
      return seen;
    }
    const data = event.data as Data;
    const sealed = spec.fields.filter((f) => isSealed(holder(data, f)?.[leaf(f)]));
    if (sealed.length === 0) return event;
    const owner = spec.owner(data);
    const key = await this.ring.key(owner);
    const copy = copyAlongPaths(data, sealed);
    for (const field of sealed) {
      const at = holder(copy, field)!;
      const box = Buffer.from((at[leaf(field)] as string).slice(SEALED_PREFIX.length), 'base64url');
      // A damaged value reads as erased too: a projection must not fail on it, and it tells nothing.
      const plain = key && open(key, box, aad(owner, event.type, field));
      at[leaf(field)] = plain ? plain.toString('utf8') : field.erased;
    }
    const opened = { ...event, data: copy } as StoredEvent;
    this.decrypted.set(event, opened);
    if (this.recent.size >= RECENT_EVENTS) this.recent.delete(this.recent.keys().next().value!);
    this.recent.set(event.position, opened);
    return opened;
  }

  /**
   * What `open` would give for an event just appended, known without decrypting: its plaintext is
   * the data the writer gave. The store hands the same event objects to its followers.
   */
  remember(stored: StoredEvent, data: unknown): void {
    if (PERSONAL_FIELDS[stored.type]) this.decrypted.set(stored, { ...stored, data } as StoredEvent);
  }

  /** Opens a batch in order; a UserErased in it makes later events of that user read as erased. */
  async openAll(events: StoredEvent[]): Promise<StoredEvent[]> {
    const out = new Array<StoredEvent>(events.length);
    for (let i = 0; i < events.length; i++) {
      const event = events[i];
      if (event.type === 'UserErased') this.ring.forget(event.data.user_id);
      out[i] = await this.open(event);
    }
    return out;
  }

  /** The erased form of an event's personal fields, whatever they hold (plaintext or sealed). */
  static erase<E extends { type: string; data: unknown }>(event: E): E {
    const spec = PERSONAL_FIELDS[event.type as keyof typeof PERSONAL_FIELDS];
    if (!spec) return event;
    const data = event.data as Data;
    const present = spec.fields.filter((f) => typeof holder(data, f)?.[leaf(f)] === 'string');
    const copy = copyAlongPaths(data, present);
    for (const field of present) holder(copy, field)![leaf(field)] = field.erased;
    return { ...event, data: copy };
  }

  /** Whether an event still holds a personal field in plaintext (what `privacy migrate` looks for). */
  static hasPlaintext(event: { type: string; data: unknown }): boolean {
    const spec = PERSONAL_FIELDS[event.type as keyof typeof PERSONAL_FIELDS];
    if (!spec) return false;
    return spec.fields.some((f) => {
      const value = holder(event.data as Data, f)?.[leaf(f)];
      return typeof value === 'string' && value !== '' && !isSealed(value);
    });
  }
}
