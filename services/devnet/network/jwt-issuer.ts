/**
 * The devnet's stand-in for an OpenID provider (Auth0): an RS256 key pair made at start, whose public
 * half the Auth0-style guard trusts, and tokens minted on demand for the demo and the tests.
 */
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { type JwtPublicKey, jwtPublicKeyFromJwk } from '../../../shared/near/fast-auth-abi.js';

export interface MintJwtClaims {
  /** The user id; FastAuth derives the key for path `{guard_id}#{sub}`. */
  readonly sub: string;
  /** The bytes FastAuth will sign; the Auth0 guard requires them as the `fatxn` claim. */
  readonly signPayload: Uint8Array;
  /** Default 600 s. The guard compares `exp` with the block timestamp (wall clock on the devnet). */
  readonly expiresInSeconds?: number;
  /** Default: the guard's account, the audience it accepts unless configured otherwise. */
  readonly audience?: string;
}

export interface LocalJwtIssuer {
  /** The `iss` claim, and the name the JWT guard router knows the guard by. */
  readonly issuer: string;
  /** What the guard is initialised with (`public_keys`). */
  readonly publicKey: JwtPublicKey;
  /** The signing key, for keeping the issuer across restarts of a persistent network. */
  readonly privateJwk: JWK;
  mint(claims: MintJwtClaims): Promise<string>;
}

const KEY_ID = 'devnet-1';

/** A new key pair, or the one in `privateJwk` (an RS256 private JWK this function made earlier). */
export async function createLocalJwtIssuer(issuer: string, defaultAudience: string, privateJwk?: JWK): Promise<LocalJwtIssuer> {
  const exported = privateJwk ?? (await exportJWK((await generateKeyPair('RS256', { modulusLength: 2048, extractable: true })).privateKey));
  const privateKey = await importJWK(exported, 'RS256');
  const { n, e } = exported;
  if (n === undefined || e === undefined) throw new Error('the issuer key is not an RSA JWK (no n or e)');
  return {
    issuer,
    publicKey: jwtPublicKeyFromJwk({ kid: KEY_ID, n, e }),
    privateJwk: exported,
    mint: ({ sub, signPayload, expiresInSeconds = 600, audience = defaultAudience }) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ fatxn: [...signPayload] })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: KEY_ID })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(sub)
        .setIssuedAt(now)
        .setExpirationTime(now + expiresInSeconds)
        .sign(privateKey);
    },
  };
}
