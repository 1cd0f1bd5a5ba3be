import { z } from "zod";
import type { AuditLog } from "../../audit/audit-log";
import { hashSecret } from "../../security/secrets";
import { resolveAudience } from "../access-token";
import { OAuthError } from "../errors";
import type { IssuedTokenRevoker, RevocationCount } from "../issued-tokens";
import { isValidCodeVerifier, verifyPkce } from "../pkce";
import type { TokenStore } from "../token-store/interface";
import type { GrantRequest, TokenResponse } from "./grant";
import { mayIssueRefreshToken, planUserTokens, type UserTokenDeps } from "./user-grant-tokens";

export const grantType = "authorization_code" as const;

/** Parameters of the authorization_code grant (OAuth 2.1 §4.1.3). */
export const parameters = z.object({
  code: z.string({ error: "code is required" }).min(1).max(512),
  code_verifier: z.string({ error: "code_verifier is required (PKCE, RFC 7636 §4.5)" }),
  redirect_uri: z.string().max(2048).optional(),
  resource: z.string().optional(),
});

/** What redeeming a code needs. */
export interface AuthorizationCodeGrantDeps extends UserTokenDeps {
  tokens: Pick<TokenStore, "findAuthorizationCode" | "redeemCode">;
  revoker: Pick<IssuedTokenRevoker, "revokeIssuedFromCode" | "announce">;
  audit: Pick<AuditLog, "record">;
  /** The issuer: the audience of tokens for Authly's own APIs (RFC 8707). */
  issuer: string;
}

/** OAuth 2.1 §4.1.3: redeem an authorization code, once, for the client and PKCE verifier it was bound to. */
export async function handler(deps: AuthorizationCodeGrantDeps, { client, params: p, requestId, clientIp }: GrantRequest<z.infer<typeof parameters>>): Promise<TokenResponse> {
  // RFC 7636 §4.1: 43-128 unreserved characters.
  if (!isValidCodeVerifier(p.code_verifier)) throw new OAuthError("invalid_grant", "code_verifier is malformed");

  const { clock, audit, revoker, tokens } = deps;
  // One statement: the code with its user's status.
  const code = await tokens.findAuthorizationCode(hashSecret(p.code));
  // RFC 6749 §4.1.3: the code must have been issued to this authenticated client.
  if (!code || code.clientId !== client.id || code.tenantId !== client.tenantId) {
    throw new OAuthError("invalid_grant", "the authorization code is invalid");
  }
  const now = clock.now();

  const replayed = async (revoked: RevocationCount) => {
    await audit.record({
      type: "token.code_replay",
      actorType: "client",
      actorId: client.clientId,
      targetType: "authorization_code",
      targetId: code.id,
      outcome: "failure",
      ipAddress: clientIp,
      requestId,
      details: { revokedFamilies: revoked.families, revokedAccess: revoked.accessTokens },
    });
    return new OAuthError("invalid_grant", "the authorization code has already been used");
  };
  // RFC 6749 §4.1.2: a code used before is refused, and every token issued from it is revoked.
  if (code.consumedAt) throw await replayed(await revoker.revokeIssuedFromCode(code.id, "code_replay"));
  if (code.expiresAt.getTime() <= now.getTime()) throw new OAuthError("invalid_grant", "the authorization code has expired");
  // OAuth 2.1 §4.1.3: redirect_uri must be identical to the one in the authorization request, if it was sent there.
  if ((code.redirectUri === "" && p.redirect_uri !== undefined) || (code.redirectUri !== "" && p.redirect_uri !== code.redirectUri)) {
    throw new OAuthError("invalid_grant", "redirect_uri does not match the authorization request");
  }
  // RFC 7636 §4.6: BASE64URL(SHA256(code_verifier)) must equal the stored code_challenge.
  if (code.codeChallengeMethod !== "S256" || !verifyPkce(p.code_verifier, code.codeChallenge)) {
    throw new OAuthError("invalid_grant", "code_verifier does not match the code_challenge");
  }
  if (code.userStatus !== "active") throw new OAuthError("invalid_grant", "the user is no longer active");

  // RFC 8707 §2.2: a resource at the token endpoint must be one the authorization request named.
  const audience = resolveAudience(p.resource, code.resources.length > 0 ? code.resources : client.resources, deps.issuer);
  if (p.resource !== undefined && code.resources.length > 0 && !audience.every((a) => code.resources.includes(a))) {
    throw new OAuthError("invalid_target", "the resource was not part of the authorization request");
  }

  const planned = planUserTokens(deps, {
    client,
    userId: code.userId,
    scopes: code.scopes,
    accessScopes: code.scopes,
    resources: code.resources,
    audience,
    sessionId: code.sessionId,
    authTime: code.authTime,
    acr: code.acr,
    amr: code.amr,
    claims: code.claims,
    nonce: code.nonce,
    authorizationCodeId: code.id,
    refresh: mayIssueRefreshToken(client, code.scopes) ? "new" : null,
  });
  // Single use (OAuth 2.1 §4.1.3): consumed and its tokens stored in one transaction that locks the
  // code; of concurrent redemptions exactly one succeeds, and the others revoke what it issued.
  const redemption = await tokens.redeemCode(code.id, now, planned.records);
  if (redemption.outcome === "replayed") throw await replayed(await revoker.announce(redemption.revoked));
  if (redemption.outcome === "missing") throw new OAuthError("invalid_grant", "the authorization code is invalid");
  return planned.respond();
}
