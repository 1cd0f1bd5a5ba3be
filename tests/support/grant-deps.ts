/**
 * The narrow dependencies of the token endpoint's grants, built without a database for the unit
 * tests beside them (lib/oauth/token/*.test.ts): MemoryTokenStore, a manual clock, real access
 * and ID token services signing with keys made here, a real revocation list over the store, a
 * recording audit log and a user directory in a map.
 */
import { createHash, generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from "node:crypto";
import { MemoryCache } from "../../lib/cache/memory-cache";
import type { Client } from "../../lib/generated/prisma/client";
import { JwsSigner, JwsVerifier, parseCompactJws, sameMediaType } from "../../lib/keys/jws";
import { AccessTokenService, type TokenSigner } from "../../lib/oauth/access-token";
import type { AuditEventInput } from "../../lib/audit/audit-log";
import { IssuedTokenRevoker } from "../../lib/oauth/issued-tokens";
import { RevocationList } from "../../lib/oauth/revocation-list";
import { MemoryTokenStore } from "../../lib/oauth/token-store/memory";
import type { AuthorizationCodeGrantDeps } from "../../lib/oauth/token/authorization-code";
import type { RefreshTokenGrantDeps } from "../../lib/oauth/token/refresh-token";
import type { ClaimSource } from "../../lib/oidc/claims";
import { IdTokenService } from "../../lib/oidc/id-token";
import { SubjectIdentifiers } from "../../lib/oidc/subject";
import { silentLogger } from "../../lib/observability/logger";
import type { SigningAlgorithm } from "../../lib/protocol/constants";
import { hashSecret, randomToken } from "../../lib/security/secrets";
import { ManualClock } from "../../lib/server/clock";

export const ISSUER = "https://id.example.com";
export const TENANT = "default";

/** One key per algorithm for the whole test file (RSA key generation is slow), made on first use. */
const testKeys = new Map<SigningAlgorithm, { signer: JwsSigner; verifier: JwsVerifier }>();

/** Signs with the test keys; verifies like the key store (kid, typ, the key's own algorithm). */
export class TestSigner implements TokenSigner {
  private readonly keys = testKeys;

  private keyFor(alg: SigningAlgorithm) {
    let key = this.keys.get(alg);
    if (!key) {
      const pair: { privateKey: KeyObject; publicKey: KeyObject } =
        alg === "RS256" ? generateKeyPairSync("rsa", { modulusLength: 2048 }) : alg === "ES256" ? generateKeyPairSync("ec", { namedCurve: "P-256" }) : generateKeyPairSync("ed25519");
      key = { signer: new JwsSigner(`test-${alg}`, alg, pair.privateKey), verifier: new JwsVerifier(alg, pair.publicKey) };
      this.keys.set(alg, key);
    }
    return key;
  }

  sign(payload: Record<string, unknown>, options: { typ: string; alg?: SigningAlgorithm }): Promise<string> {
    return this.keyFor(options.alg ?? "RS256").signer.sign(payload, options.typ);
  }

  async verify(token: string, options: { typ?: string } = {}) {
    const jws = parseCompactJws(token);
    if (!jws || typeof jws.header.kid !== "string") return null;
    if (options.typ !== undefined && (typeof jws.header.typ !== "string" || !sameMediaType(jws.header.typ, options.typ))) return null;
    const key = [...this.keys.values()].find((k) => k.signer.kid === jws.header.kid);
    if (!key || !(await key.verifier.verifyParsed(jws))) return null;
    return { header: jws.header, payload: jws.payload, kid: jws.header.kid };
  }
}

/** A registered client with the schema's defaults. */
export function testClient(overrides: Partial<Client> = {}): Client {
  const now = new Date(Date.UTC(2026, 0, 1));
  return {
    id: randomUUID(),
    tenantId: TENANT,
    clientId: `client-${randomUUID()}`,
    name: "Test client",
    type: "confidential",
    applicationType: "web",
    secretHash: hashSecret("secret"),
    secretExpiresAt: null,
    redirectUris: ["https://app.example.com/callback"],
    postLogoutRedirectUris: [],
    grantTypes: ["authorization_code", "refresh_token"],
    responseTypes: ["code"],
    scopes: ["openid", "profile", "email", "offline_access", "api"],
    resources: [],
    tokenEndpointAuthMethod: "client_secret_basic",
    tokenEndpointAuthSigningAlg: null,
    jwksUri: null,
    jwks: null,
    subjectType: "public",
    sectorIdentifierUri: null,
    idTokenSignedResponseAlg: "RS256",
    userinfoSignedResponseAlg: null,
    defaultMaxAge: null,
    requireAuthTime: false,
    requireConsent: true,
    authorizationCodeTtl: 60,
    accessTokenTtl: 900,
    idTokenTtl: 3600,
    refreshTokenTtl: 2_592_000,
    refreshTokenIdleTtl: 1_209_600,
    frontchannelLogoutUri: null,
    frontchannelLogoutSessionRequired: false,
    backchannelLogoutUri: null,
    backchannelLogoutSessionRequired: false,
    revokeRefreshTokensOnLogout: true,
    logoUri: null,
    clientUri: null,
    policyUri: null,
    tosUri: null,
    contacts: [],
    enabled: true,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

/** A user's claim columns, all empty but the email. */
function claimSource(email: string): ClaimSource {
  return {
    name: null, givenName: null, familyName: null, middleName: null, nickname: null, preferredUsername: null,
    profile: null, picture: null, website: null, gender: null, birthdate: null, zoneinfo: null, locale: null,
    updatedAt: new Date(Date.UTC(2026, 0, 1)), email, emailVerified: true, phoneNumber: null, phoneNumberVerified: false,
    addressFormatted: null, addressStreetAddress: null, addressLocality: null, addressRegion: null, addressPostalCode: null, addressCountry: null,
  };
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

/** Everything the user grants need, in memory, with helpers that put a user, a session or a code in place. */
export function grantFixture() {
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  const store = new MemoryTokenStore({ tenantId: TENANT, clock });
  const signer = new TestSigner();
  const cache = new MemoryCache({ clock, logger: silentLogger });
  const revocations = new RevocationList({ source: store, cache, clock, logger: silentLogger, options: { syncIntervalMs: 60_000, maxStalenessMs: 600_000 } });
  const accessTokens = new AccessTokenService({ signer, clock, issuer: ISSUER, revocations });
  const subjects = new SubjectIdentifiers(randomBytes(32));
  const idTokens = new IdTokenService({ signer, clock, issuer: ISSUER, subjects });
  const revoker = new IssuedTokenRevoker({ store, clock, revocations });
  const auditEvents: AuditEventInput[] = [];
  const audit = { record: async (event: AuditEventInput) => void auditEvents.push(event) };
  const users = new Map<string, ClaimSource>();
  const deps: AuthorizationCodeGrantDeps & RefreshTokenGrantDeps = {
    tokens: store,
    revoker,
    audit,
    clock,
    issuer: ISSUER,
    accessTokens,
    subjects,
    idTokens,
    users: { findById: async (id) => users.get(id) ?? null },
  };

  return {
    clock,
    store,
    signer,
    revocations,
    accessTokens,
    subjects,
    auditEvents,
    deps,
    /** An active user; returns the id. */
    user(email = `${randomUUID()}@example.com`): string {
      const id = randomUUID();
      users.set(id, claimSource(email));
      store.setUserStatus(id, "active");
      return id;
    },
    /** Stores a code as the authorization endpoint would; returns the code and its PKCE verifier. */
    code(input: {
      client: Client;
      userId: string;
      scopes: string[];
      redirectUri?: string;
      resources?: string[];
      sessionId?: string | null;
      nonce?: string | null;
      claims?: Record<string, unknown> | null;
    }): { code: string; id: string; verifier: string } {
      const { verifier, challenge } = pkcePair();
      const code = randomToken(32);
      const id = randomUUID();
      const now = clock.now();
      store.addAuthorizationCode({
        id,
        codeHash: hashSecret(code),
        clientId: input.client.id,
        userId: input.userId,
        sessionId: input.sessionId ?? null,
        redirectUri: input.redirectUri ?? "",
        scopes: input.scopes,
        resources: input.resources ?? [],
        codeChallenge: challenge,
        codeChallengeMethod: "S256",
        nonce: input.nonce ?? null,
        claims: (input.claims ?? null) as never,
        authTime: new Date(now.getTime() - 30_000),
        acr: null,
        amr: ["pwd"],
        createdAt: now,
        expiresAt: new Date(now.getTime() + input.client.authorizationCodeTtl * 1000),
      });
      return { code, id, verifier };
    },
    /** A grant request as the token endpoint makes it: the authenticated client and the form parameters. */
    request(client: Client, params: Record<string, string>) {
      return { client, params: new Map(Object.entries(params)), requestId: `req-${randomUUID()}`, clientIp: "192.0.2.1" };
    },
    async close() {
      await revocations.close();
      await cache.close();
    },
  };
}

export type GrantFixture = ReturnType<typeof grantFixture>;
