import { isIPv4, isIPv6 } from 'node:net';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimitSettings } from '../config';
import type { Parley } from '../app';
import { HttpError } from '../edge/errors';
import type { RouteInput, RouteRateLimit } from './route';

type RateLimitName = keyof RateLimitSettings;

/** Window of each limit in seconds; how many attempts fit in it is configuration (src/config). */
export const RATE_LIMIT_WINDOWS: Readonly<Record<RateLimitName, number>> = {
  login_account: 5 * 60,
  login_ip: 5 * 60,
  register_ip: 60 * 60,
  refresh_ip: 5 * 60,
  export_user: 60 * 60,
};

/**
 * The key for a client address: IPv4-mapped IPv6 addresses count as their IPv4 address, and IPv6
 * addresses by their /64, which one subscriber usually holds whole (counting single addresses would
 * let them rotate through 2^64 of them).
 */
export function clientAddressKey(address: string): string {
  const plain = address.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(plain);
  if (mapped) return mapped[1];
  if (isIPv4(plain) || !isIPv6(plain)) return plain;
  const [head = '', tail] = plain.split('::');
  const front = head === '' ? [] : head.split(':');
  const back = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined
      ? front
      : [...front, ...Array<string>(Math.max(0, 8 - front.length - back.length)).fill('0'), ...back];
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

const tooMany = (limit: RateLimitName, res: RateLimiterRes): HttpError => {
  const seconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  const what =
    limit === 'login_account'
      ? 'failed logins for this account'
      : limit === 'export_user'
        ? 'data exports'
        : 'requests from your address';
  return new HttpError(
    429,
    'rate_limited',
    `too many ${what}; try again in ${seconds} s`,
    { limit, retry_after: seconds },
    {
      'Retry-After': String(seconds),
    },
  );
};

type Counted = { limiter: RateLimiterAbstract; key: string; onSuccess: RouteRateLimit['onSuccess'] };

/**
 * The abuse limits, counted in the engine (rate-limiter-flexible on its database) so that they hold
 * across every instance sharing it. A limit configured as 0 is off.
 */
export class RateLimits {
  private readonly limiters = new Map<RateLimitName, RateLimiterAbstract>();

  constructor(createLimiter: Parley['createRateLimiter'], settings: RateLimitSettings) {
    for (const [limit, points] of Object.entries(settings) as [RateLimitName, number][]) {
      if (points === 0) continue;
      this.limiters.set(limit, createLimiter({ keyPrefix: limit, points, duration: RATE_LIMIT_WINDOWS[limit] }));
    }
  }

  /**
   * Counts one request against each of the route's limits; a 429 (with Retry-After) once one is used
   * up. Returns what to do when the request succeeds.
   */
  async enter(limits: readonly RouteRateLimit[], input: RouteInput): Promise<() => Promise<void>> {
    const counted: Counted[] = [];
    for (const { limit, key, onSuccess } of limits) {
      const limiter = this.limiters.get(limit);
      if (!limiter) continue;
      const counter = key === 'ip' ? clientAddressKey(input.ctx.ip) : key(input);
      try {
        await limiter.consume(counter);
      } catch (error) {
        if (error instanceof RateLimiterRes) throw tooMany(limit, error);
        throw error;
      }
      counted.push({ limiter, key: counter, onSuccess });
    }
    return async () => {
      for (const { limiter, key, onSuccess } of counted) {
        if (onSuccess === 'reset') await limiter.delete(key);
        else if (onSuccess === 'refund') await limiter.reward(key, 1);
      }
    };
  }
}
