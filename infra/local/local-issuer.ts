import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { GITHUB_LOGIN_CLAIM } from '../../functions/use-cases/callers.js';
import { SignJWT, exportJWK, generateKeyPair, importJWK, jwtVerify, type JWK, type JWTPayload } from 'jose';

export const LOCAL_ISSUER = 'https://flightplan.local/issuer';
export const LOCAL_AUDIENCE = 'flightplan';
const ALGORITHM = 'ES256';

/**
 * Stands in for Keycloak locally: signs and verifies the JWTs the portal API accepts. The key
 * lives under the data directory so tokens from `npm run token` keep working across restarts.
 */
export class LocalIssuer {
  private constructor(
    private readonly privateKey: Awaited<ReturnType<typeof importJWK>>,
    private readonly publicKey: Awaited<ReturnType<typeof importJWK>>,
    /** The `iss` and `aud` it signs and verifies: the local issuer's, or those the twin's template trusts. */
    readonly issuer: string,
    readonly audience: string,
  ) {}

  static async open(
    dataDir: string,
    names: { issuer: string; audience: string } = { issuer: LOCAL_ISSUER, audience: LOCAL_AUDIENCE },
  ): Promise<LocalIssuer> {
    const path = join(dataDir, 'keys', 'local-issuer.json');
    let keys: { privateJwk: JWK; publicJwk: JWK };
    try {
      keys = JSON.parse(await readFile(path, 'utf8')) as typeof keys;
    } catch {
      const pair = await generateKeyPair(ALGORITHM, { extractable: true });
      keys = { privateJwk: await exportJWK(pair.privateKey), publicJwk: await exportJWK(pair.publicKey) };
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, JSON.stringify(keys), { mode: 0o600 });
    }
    return new LocalIssuer(
      await importJWK(keys.privateJwk, ALGORITHM),
      await importJWK(keys.publicJwk, ALGORITHM),
      names.issuer,
      names.audience,
    );
  }

  /**
   * A token shaped as Keycloak issues it with Flightplan's mappers (README, "Keycloak"):
   * `preferred_username`, a verified `email`, `groups` as full paths when given, and the GitHub
   * identity link as `github_login`. Without `groups` the token carries no groups claim at all.
   */
  sign(
    claims: {
      sub: string;
      groups?: string[] | string | undefined;
      email?: string | undefined;
      username?: string | undefined;
      githubLogin?: string | undefined;
    },
    expiresIn = '12h',
  ): Promise<string> {
    return new SignJWT({
      preferred_username: claims.username ?? claims.sub,
      ...(claims.groups ? { groups: claims.groups } : {}),
      ...(claims.email ? { email: claims.email, email_verified: true } : {}),
      ...(claims.githubLogin ? { [GITHUB_LOGIN_CLAIM]: claims.githubLogin } : {}),
    })
      .setProtectedHeader({ alg: ALGORITHM })
      .setSubject(claims.sub)
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setIssuedAt()
      .setExpirationTime(expiresIn)
      .sign(this.privateKey);
  }

  async verify(token: string): Promise<JWTPayload> {
    const { payload } = await jwtVerify(token, this.publicKey, {
      issuer: this.issuer,
      audience: this.audience,
      algorithms: [ALGORITHM],
    });
    return payload;
  }
}
