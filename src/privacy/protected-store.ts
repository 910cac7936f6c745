import type { ParleyEvent, StoredEvent } from '../events';
import type {
  AppendOptions,
  AppendResult,
  BatchHandler,
  EventStore,
  LoadedStreams,
  StreamAppend,
  SubscribeOptions,
  Subscription,
} from '../store/ports';
import type { RawEvent } from '../events/upcasters';
import type { PersonalDataCodec } from './codec';
import { EmailClaimNames } from './email-claims';

const isClaim = (e: { type: string }) => e.type === 'EmailClaimed' || e.type === 'EmailReleased';

/**
 * The event store as the application sees it: personal fields are encrypted on the way in and
 * decrypted on the way out, and email claim streams go by keyed hashes. Wraps either engine's
 * store; imports (and so `events export`/`import`) pass the stored form through untouched.
 */
export class ProtectedEventStore implements EventStore {
  readonly feedStatus?: EventStore['feedStatus'];

  constructor(
    private readonly inner: EventStore,
    private readonly codec: PersonalDataCodec,
    private readonly claims: EmailClaimNames,
  ) {
    if (inner.feedStatus) this.feedStatus = () => inner.feedStatus!();
  }

  async append(appends: StreamAppend[], options: AppendOptions): Promise<AppendResult> {
    const stored: StreamAppend[] = [];
    for (const a of appends) {
      const plain = EmailClaimNames.plainKey(a.stream);
      if (plain === null) {
        stored.push({ ...a, events: await Promise.all(a.events.map((e) => this.codec.seal(e))) });
      } else {
        const events = a.events.map((e) =>
          isClaim(e) ? { ...e, data: { ...e.data, key: this.claims.hashedKey(plain) } } : e,
        );
        stored.push({ ...a, stream: await this.claimStream(plain), events: events as ParleyEvent[] });
      }
    }
    const result = await this.inner.append(stored, options);
    // The caller gets its events back as it gave them: in plaintext, on the streams it named.
    const given = appends.flatMap((a) => a.events.map((event) => ({ event, stream: a.stream })));
    // The followers (projections, the live feed) get these very objects: spare them the decryption.
    result.events.forEach((e, i) => this.codec.remember(e, given[i].event.data));
    const events = result.events.map(
      (e, i) => ({ ...e, stream: given[i].stream, data: given[i].event.data }) as StoredEvent,
    );
    return { ...result, events };
  }

  /**
   * Where a claim goes: a log written before this release has streams named after plain keys;
   * such a stream keeps its claims (until `privacy migrate` renames it), so that every address
   * has exactly one stream.
   */
  private async claimStream(plainKey: string): Promise<string> {
    const legacy = `email-${plainKey}`;
    const { versions } = await this.inner.readStreams([legacy]);
    return (versions.get(legacy) ?? 0) > 0 ? legacy : this.claims.hashedStream(plainKey);
  }

  async readStreams(streams: string[]): Promise<LoadedStreams> {
    const requestedAs = new Map<string, { stream: string; plain: string | null }>();
    for (const stream of streams) {
      const plain = EmailClaimNames.plainKey(stream);
      requestedAs.set(stream, { stream, plain });
      if (plain !== null) requestedAs.set(this.claims.hashedStream(plain), { stream, plain });
    }
    const loaded = await this.inner.readStreams([...requestedAs.keys()]);
    const versions = new Map(streams.map((s) => [s, 0]));
    for (const [name, version] of loaded.versions) {
      const { stream } = requestedAs.get(name)!;
      versions.set(stream, Math.max(versions.get(stream) ?? 0, version));
    }
    const events = (await this.codec.openAll(loaded.events)).map((e) => {
      const as = requestedAs.get(e.stream);
      if (!as || as.plain === null) return e;
      return { ...e, stream: as.stream, data: isClaim(e) ? { ...e.data, key: as.plain } : e.data } as StoredEvent;
    });
    return { events, versions };
  }

  async readAll(afterPosition: number, limit: number): Promise<StoredEvent[]> {
    return this.codec.openAll(await this.inner.readAll(afterPosition, limit));
  }

  headPosition(): Promise<number> {
    return this.inner.headPosition();
  }

  subscribe(afterPosition: number, handler: BatchHandler, options?: SubscribeOptions): Subscription {
    return this.inner.subscribe(afterPosition, async (events) => handler(await this.codec.openAll(events)), options);
  }

  importEvents(events: RawEvent[]): Promise<void> {
    return this.inner.importEvents(events);
  }
}
