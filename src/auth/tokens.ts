import { createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { JwtAlgorithm } from '../config';

export type TokenType = 'access' | 'refresh';

export interface AccessClaims {
  typ: 'access';
  sub: string;
  sid: string;
  username: string;
  /** Expiry, seconds since the epoch: set on every token issue() signs, read back by verifyAccess(). */
  exp?: number;
}

export interface RefreshClaims {
  typ: 'refresh';
  sub: string;
  sid: string;
  /** Identifies this refresh token: once spent, the session remembers it was. */
  jti: string;
}

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'bearer';
  /** Access-token lifetime in seconds. */
  expires_in: number;
}

/** The token of an `Authorization: Bearer <token>` header, if that is what the header holds. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
}

export class TokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenError';
  }
}

export interface TokenSettings {
  secretKey: string;
  algorithm: JwtAlgorithm;
  accessTokenTtl: number;
  refreshTokenTtl: number;
}

/** Signs and checks parley's JWTs. A token's `typ` claim keeps access and refresh tokens apart. */
export class Tokens {
  /** Made once: jsonwebtoken turns a string secret into a key on every call (~0.5 ms each here). */
  private readonly key: KeyObject;

  constructor(private readonly settings: TokenSettings) {
    this.key = createSecretKey(Buffer.from(settings.secretKey, 'utf8'));
  }

  /** A new pair for a session; `refreshId` is the jti the session will expect back. */
  issue(claims: { sub: string; sid: string; username: string }, refreshId: string): TokenPair {
    const { algorithm, accessTokenTtl, refreshTokenTtl } = this.settings;
    const access: AccessClaims = { typ: 'access', ...claims };
    const refresh: Omit<RefreshClaims, 'jti'> = { typ: 'refresh', sub: claims.sub, sid: claims.sid };
    return {
      access_token: jwt.sign(access, this.key, { algorithm, expiresIn: accessTokenTtl, jwtid: randomUUID() }),
      refresh_token: jwt.sign(refresh, this.key, { algorithm, expiresIn: refreshTokenTtl, jwtid: refreshId }),
      token_type: 'bearer',
      expires_in: accessTokenTtl,
    };
  }

  refreshExpiry(now: Date): string {
    return new Date(now.getTime() + this.settings.refreshTokenTtl * 1000).toISOString();
  }

  verifyAccess(token: string): AccessClaims {
    const claims = this.verify(token, 'access');
    if (typeof claims.username !== 'string') throw new TokenError('token is malformed');
    return claims as unknown as AccessClaims;
  }

  verifyRefresh(token: string): RefreshClaims {
    const claims = this.verify(token, 'refresh');
    if (typeof claims.jti !== 'string') throw new TokenError('token is malformed');
    return claims as unknown as RefreshClaims;
  }

  private verify(token: string, type: TokenType): Record<string, unknown> {
    let claims: string | jwt.JwtPayload;
    try {
      // Only the configured algorithm: 'none' and algorithm-confusion tokens fail here.
      claims = jwt.verify(token, this.key, { algorithms: [this.settings.algorithm] });
    } catch (error) {
      throw new TokenError(error instanceof jwt.TokenExpiredError ? 'token has expired' : 'token is invalid');
    }
    if (typeof claims === 'string' || claims.typ !== type)
      throw new TokenError(`token is not ${type === 'access' ? 'an access' : 'a refresh'} token`);
    if (typeof claims.sub !== 'string' || typeof claims.sid !== 'string') throw new TokenError('token is malformed');
    return claims;
  }
}
