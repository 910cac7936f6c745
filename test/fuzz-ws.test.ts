import { expect } from 'chai';
import fc from 'fast-check';
import { useFuzzTarget } from './helpers/fuzz';
import { client } from './helpers/http';
import { connectWithHistory, type ChatClient, type Frame } from './helpers/ws';

const RUNS = Number(process.env.FUZZ_RUNS) || 200;
const MAX_FRAME = 16 * 1024;

/** What one fuzz step sends; `closes` is the close code the server must answer it with, if any. */
type Outgoing = { data: string | Buffer; binary: boolean; closes?: number };

const text = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(
    '',
    ' ',
    '/pm',
    '/pm ',
    '/pm bob',
    '/pm bob hi',
    '/pm alice hi',
    '/pm nobody_at_all hi',
    '/PM BOB hi',
    '/pm ＢＯＢ hi',
    'a\u0000b',
    '\u001b[2J',
    'x'.repeat(4001),
  ),
);
const anyValue = fc.oneof(
  text,
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant({ $gt: '' }),
  fc.array(fc.string(), { maxLength: 2 }),
);
const jsonFrame = fc
  .record(
    {
      type: fc.oneof(
        fc.constantFrom('pm', 'chat', 'auth', 'history', 'ack', '__proto__', 'constructor', 'toString', ''),
        anyValue,
      ),
      to: anyValue,
      text: anyValue,
      ref: fc.oneof(fc.string({ maxLength: 20 }), anyValue, fc.constant('r'.repeat(200))),
      token: anyValue,
    },
    { requiredKeys: [] },
  )
  .chain((o) =>
    fc.boolean().map((pollute) => {
      const json = JSON.stringify(o);
      // A literal "__proto__" key (an object literal cannot carry one into JSON.stringify).
      return pollute ? `{"__proto__":{"polluted":true}${json === '{}' ? '' : ','}${json.slice(1)}` : json;
    }),
  );

function outgoing(tokens: { own: string; other: string }): fc.Arbitrary<Outgoing> {
  return fc.oneof(
    { weight: 4, arbitrary: jsonFrame.map((data) => ({ data, binary: false })) },
    { weight: 3, arbitrary: text.map((data) => ({ data, binary: false })) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => ({ data: JSON.stringify(v), binary: false })) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((s) => ({ data: `{${s}`, binary: false })) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(tokens.own, tokens.other, 'a.b.c')
        .map((token) => ({ data: JSON.stringify({ type: 'auth', token }), binary: false })),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((a) => ({ data: Buffer.from(a), binary: true })) },
    // Not UTF-8 in a text frame: the WebSocket protocol says close with 1007.
    { weight: 1, arbitrary: fc.constant({ data: Buffer.from([0x7b, 0xc3, 0x28, 0xff]), binary: false, closes: 1007 }) },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: MAX_FRAME + 1, max: MAX_FRAME * 4 })
        .map((n) => ({ data: JSON.stringify({ type: 'chat', text: 'z'.repeat(n) }), binary: false, closes: 1009 })),
    },
  );
}

const KNOWN_TYPES = ['history', 'ack', 'error', 'pm', 'chat', 'authenticated'];

describe('fuzz: random frames at the chat WebSocket', function () {
  this.timeout(120_000);
  // The per-socket frame rate limit is the chat tests' subject; here it would only cut the fuzzing short.
  const target = useFuzzTarget({ chat: { ratePerSecond: 100_000, rateBurst: 100_000 } });

  it(`answers every frame with a well-formed frame or the protocol's close code, never an internal error (${RUNS} runs)`, async () => {
    let socket: ChatClient = (await connectWithHistory(target.server.url, target.alice.access_token)).client;
    let probes = 0;
    const received: Frame[] = [];
    const closes: number[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.array(outgoing({ own: target.alice.access_token, other: target.bob.access_token }), {
          minLength: 1,
          maxLength: 4,
        }),
        async (frames) => {
          const start = socket.frames.length;
          for (const frame of frames) {
            socket.ws.send(frame.data, { binary: frame.binary });
            if (frame.closes) break;
          }
          const expectedClose = frames.find((f) => f.closes)?.closes;
          if (expectedClose) {
            const closed = await socket.waitClose();
            expect(closed.code).to.equal(expectedClose);
            closes.push(closed.code);
            received.push(...socket.frames.slice(start));
            socket = (await connectWithHistory(target.server.url, target.alice.access_token)).client;
            return;
          }
          // A known-good frame after the random ones: its ack proves the socket is open and the server answering.
          const ref = `probe-${++probes}`;
          socket.send({ type: 'chat', text: `probe ${probes}`, ref });
          const ack = await socket.next((f) => f.type === 'ack' && f.ref === ref, `the ack of ${ref}`);
          expect(ack.id).to.be.a('string');
          received.push(...socket.frames.slice(start));
        },
      ),
      { numRuns: RUNS },
    );
    await socket.close();

    for (const frame of received) {
      expect(KNOWN_TYPES, JSON.stringify(frame)).to.include(frame.type);
      if (frame.type === 'error') {
        expect(frame.code, JSON.stringify(frame)).to.be.a('string').and.not.equal('internal_error');
        expect(frame.message).to.be.a('string');
      }
    }
    expect(received.filter((f) => f.type === 'error').length, 'the fuzzing reached the error paths').to.be.greaterThan(
      10,
    );
    expect(Object.prototype).to.not.have.property('polluted');
    expect(target.errors.lines, 'server error log').to.deep.equal([]);
    expect(target.crashes).to.deep.equal([]);
  });

  it('the server is still up afterwards: REST answers and a new socket gets its history', async () => {
    const search = await client(target.server.url).get('/users?search=a');
    expect(search.status).to.equal(200);
    const { client: chat, history } = await connectWithHistory(target.server.url, target.bob.access_token);
    expect(history.messages).to.be.an('array');
    await chat.close();
  });
});
