import { expect } from 'chai';
import { TokenBucket } from '../src/ws/token-bucket';

describe('chat socket rate limit: TokenBucket', () => {
  // A clock the test moves by hand: no real time passes.
  const clock = (start = 1_000_000) => {
    let now = start;
    return {
      now: () => now,
      advance: (ms: number) => {
        now += ms;
      },
    };
  };

  it('given a full bucket, allows the burst and then refuses, saying how long to wait', () => {
    const time = clock();
    const bucket = new TokenBucket(20, 40, time.now);
    for (let i = 0; i < 40; i++) expect(bucket.take(), `frame ${i}`).to.equal(0);
    expect(bucket.take()).to.equal(50);
  });

  it('refills at the sustained rate', () => {
    const time = clock();
    const bucket = new TokenBucket(20, 40, time.now);
    for (let i = 0; i < 40; i++) bucket.take();
    time.advance(50);
    expect(bucket.take()).to.equal(0);
    expect(bucket.take()).to.be.greaterThan(0);
    time.advance(1000);
    let allowed = 0;
    while (bucket.take() === 0) allowed++;
    expect(allowed).to.equal(20);
  });

  it('never holds more than the burst, however long it was idle', () => {
    const time = clock();
    const bucket = new TokenBucket(20, 40, time.now);
    time.advance(3_600_000);
    let allowed = 0;
    while (bucket.take() === 0) allowed++;
    expect(allowed).to.equal(40);
  });

  it('refused frames do not use up tokens', () => {
    const time = clock();
    const bucket = new TokenBucket(1, 1, time.now);
    expect(bucket.take()).to.equal(0);
    for (let i = 0; i < 10; i++) expect(bucket.take()).to.be.greaterThan(0);
    time.advance(1000);
    expect(bucket.take()).to.equal(0);
  });
});
