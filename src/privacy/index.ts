import type { Engine } from '../store/ports';
import { PersonalDataCodec } from './codec';
import { EmailClaimNames } from './email-claims';
import { KeyRing } from './keys';
import { ProtectedEventStore } from './protected-store';

export { UserErasedError, type DataKeyStore, type StoredDataKey } from './keys';
export { ERASED_TEXT } from './fields';

/** Meta entry: events at or below this position may still hold plaintext (until `privacy migrate`). */
export const LEGACY_UNTIL = 'legacy_until';

/** What the application needs beside the protected store: the keys, to erase and to tell. */
export interface Protection {
  ring: KeyRing;
  codec: PersonalDataCodec;
  claims: EmailClaimNames;
  /** The unprotected store (for `privacy migrate`, which rewrites the stored form). */
  raw: Engine;
}

const PROTECTION = Symbol('protection');
type Protected = Engine & { [PROTECTION]: Protection };

/**
 * The engine with its event store behind the personal-data codec (docs/privacy.md). Idempotent:
 * protecting a protected engine returns it.
 */
export function protectEngine(engine: Engine, master: Buffer): Engine {
  if (protectionOf(engine)) return engine;
  const ring = new KeyRing(engine.privacy.keys, master);
  const codec = new PersonalDataCodec(ring);
  const claims = new EmailClaimNames(master);
  const events = new ProtectedEventStore(engine.events, codec, claims);
  const protection: Protection = { ring, codec, claims, raw: engine };
  // Everything else is the engine's own (methods bound to it), as instrumentEngine does.
  return new Proxy(engine, {
    get(target, property): unknown {
      if (property === 'events') return events;
      if (property === PROTECTION) return protection;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

export function protectionOf(engine: Engine): Protection | undefined {
  return (engine as Partial<Protected>)[PROTECTION];
}

/**
 * Records, the first time an installation runs with protection, up to where its log was written
 * without it: `privacy status`, `privacy migrate` and erasure tell the operator from this.
 */
export async function markLegacyLog(engine: Engine): Promise<number> {
  const keys = engine.privacy.keys;
  const known = await keys.getMeta(LEGACY_UNTIL);
  if (known !== null) return Number(known);
  const head = await engine.events.headPosition();
  await keys.setMeta(LEGACY_UNTIL, String(head));
  return head;
}
