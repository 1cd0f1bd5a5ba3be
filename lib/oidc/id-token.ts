/**
 * ID tokens (OIDC Core §2, §3.1.3.6, §12.2), signed by the in-memory key store with the client's
 * `id_token_signed_response_alg`, and the checking of ID tokens sent back to us as
 * `id_token_hint` (Core §3.1.2.1, RP-Initiated Logout §2).
 */
import { createHash } from "node:crypto";
import type { Client } from "../generated/prisma/client";
import { isSigningAlgorithm } from "../keys/jws";
import { defaultIdTokenSigningAlgorithm, type SigningAlgorithm } from "../protocol/constants";
import type { TokenSigner } from "../oauth/access-token";
import type { Clock } from "../server/clock";
import type { SubjectIdentifiers } from "./subject";

/** The JOSE `typ` of our ID tokens (the one most relying-party libraries expect). */
export const ID_TOKEN_TYPE = "JWT";
/** ID token hints are small; anything bigger is not one of ours. */
const MAX_HINT_LENGTH = 8192;

export interface IdTokenInput {
  client: Client;
  userId: string;
  /** The browser session (the `sid` claim, Front-/Back-Channel Logout §2/§3). */
  sessionId: string | null;
  /** When the user authenticated; on refresh the original time (Core §12.2). */
  authTime: Date | null;
  acr: string | null;
  amr: readonly string[];
  /** Echoed exactly when the authentication request had one (Core §3.1.2.1). */
  nonce?: string | null;
  /** The access token issued with it, for at_hash (Core §3.1.3.6). */
  accessToken?: string;
  /** User claims that belong in the ID token (the claims request's id_token member, Core §5.5). */
  userClaims?: Record<string, unknown>;
}

/** A verified `id_token_hint`: signed by us, for some client; its expiry is not checked. */
export interface IdTokenHint {
  /** The subject as the audience client sees it. */
  sub: string;
  /** The client the token was issued to (`aud`, or `azp` when there are several). */
  clientId: string;
  audiences: string[];
  sid?: string;
  exp?: number;
}

/** The id_token_signed_response_alg of a client, defaulting to RS256 (OIDC Registration §2). */
export function idTokenAlgorithmOf(client: Pick<Client, "idTokenSignedResponseAlg">): SigningAlgorithm {
  return isSigningAlgorithm(client.idTokenSignedResponseAlg) ? client.idTokenSignedResponseAlg : defaultIdTokenSigningAlgorithm;
}

/**
 * OIDC Core §3.1.3.6: at_hash is the base64url of the left-most half of the hash of the ASCII
 * access token, with the hash of the JWS algorithm (SHA-256 for RS256/ES256; SHA-512 for EdDSA
 * with Ed25519, as relying-party libraries compute it).
 */
export function tokenHash(token: string, alg: SigningAlgorithm): string {
  const digest = createHash(alg === "EdDSA" ? "sha512" : "sha256").update(token, "ascii").digest();
  return digest.subarray(0, digest.length / 2).toString("base64url");
}

export class IdTokenService {
  constructor(private readonly deps: { signer: TokenSigner; clock: Clock; issuer: string; subjects: SubjectIdentifiers }) {}

  /** The `sub` this client sees for the user (public or pairwise, Core §8). */
  subjectFor(client: Client, userId: string): string {
    return this.deps.subjects.subjectFor(client, userId);
  }

  async issue(input: IdTokenInput): Promise<string> {
    const { client } = input;
    const iat = Math.floor(this.deps.clock.nowMs() / 1000);
    const alg = idTokenAlgorithmOf(client);
    // User claims first, so that no requested claim can override a protocol claim below.
    const payload: Record<string, unknown> = { ...input.userClaims };
    // OIDC Core §2: iss, sub, aud, exp, iat are required; aud is the client_id.
    payload.iss = this.deps.issuer;
    payload.sub = this.subjectFor(client, input.userId);
    payload.aud = client.clientId;
    payload.iat = iat;
    payload.exp = iat + client.idTokenTtl;
    // Core §2: auth_time is required when max_age was requested or the client requires it; we
    // always include it when known (allowed in every case).
    if (input.authTime) payload.auth_time = Math.floor(input.authTime.getTime() / 1000);
    if (input.nonce) payload.nonce = input.nonce;
    if (input.acr) payload.acr = input.acr;
    if (input.amr.length > 0) payload.amr = [...input.amr];
    if (input.accessToken) payload.at_hash = tokenHash(input.accessToken, alg);
    if (input.sessionId) payload.sid = input.sessionId;
    return this.deps.signer.sign(payload, { typ: ID_TOKEN_TYPE, alg });
  }

  /**
   * Checks an `id_token_hint`: our signature (any published key), our issuer. An expired token is
   * accepted (RP-Initiated Logout §2: "The OP need not be the audience... expired ID Tokens" are
   * valid hints). Returns null for anything else, including access tokens (their `typ` differs).
   */
  async verifyHint(token: string): Promise<IdTokenHint | null> {
    if (typeof token !== "string" || token.length === 0 || token.length > MAX_HINT_LENGTH) return null;
    const verified = await this.deps.signer.verify(token, { typ: ID_TOKEN_TYPE }).catch(() => null);
    if (!verified) return null;
    const p = verified.payload;
    if (p.iss !== this.deps.issuer || typeof p.sub !== "string") return null;
    const audiences = typeof p.aud === "string" ? [p.aud] : Array.isArray(p.aud) && p.aud.every((a) => typeof a === "string") ? (p.aud as string[]) : null;
    if (!audiences || audiences.length === 0) return null;
    const clientId = audiences.length === 1 ? audiences[0]! : typeof p.azp === "string" ? p.azp : null;
    if (!clientId) return null;
    return {
      sub: p.sub,
      clientId,
      audiences,
      ...(typeof p.sid === "string" && { sid: p.sid }),
      ...(typeof p.exp === "number" && { exp: p.exp }),
    };
  }
}
