/**
 * Issuing authorization codes (OAuth 2.1 §4.1.2). The code is a 256-bit random value handed to
 * the client once; the database keeps only its SHA-256 (RFC 6819 §5.1.4.1.3), and the token
 * endpoint redeems it by that hash.
 */
import type { Client, PrismaClient, Session } from "../generated/prisma/client";
import type { Prisma } from "../generated/prisma/client";
import { hashSecret, randomToken } from "../security/secrets";
import type { Clock } from "../server/clock";
import type { AuthorizationRequest } from "./authorization-request";

/**
 * OAuth 2.1 §4.1.2: "A maximum authorization code lifetime of 10 minutes is RECOMMENDED"; we cap
 * it at 60 seconds (the code is redeemed right after the redirect), below the client's own setting.
 */
export const MAX_AUTHORIZATION_CODE_TTL_SECONDS = 60;

export interface IssueAuthorizationCodeInput {
  /** The Client row (its `id`, the uuid, is stored; not the public client_id). */
  client: Pick<Client, "id" | "authorizationCodeTtl">;
  /**
   * The browser session the user authenticated in: after prompt=login, max_age or an
   * id_token_hint for someone else, the one started inside the interaction. Its authTime, acr and
   * amr become the ID token's auth_time, acr and amr (OIDC Core §2, §3.1.2.1).
   */
  session: Pick<Session, "id" | "userId" | "authTime" | "acr" | "amr">;
  request: Pick<AuthorizationRequest, "redirectUriParam" | "scopes" | "resources" | "codeChallenge" | "nonce" | "claims">;
  /** The consent Grant the scopes come from, when there is one. */
  grantId?: string | null;
}

export interface IssuedAuthorizationCode {
  /** The code to send to the client. Never stored. */
  code: string;
  /** AuthorizationCode.id */
  id: string;
  expiresAt: Date;
}

/**
 * Stores a new authorization code and records the client in the session's `clientIds` (for
 * logout fan-out), in one transaction.
 */
export async function issueAuthorizationCode(
  deps: { prisma: PrismaClient; clock: Clock; tenantId: string },
  input: IssueAuthorizationCodeInput,
): Promise<IssuedAuthorizationCode> {
  const code = randomToken(32);
  const now = deps.clock.now();
  const ttl = Math.max(1, Math.min(input.client.authorizationCodeTtl, MAX_AUTHORIZATION_CODE_TTL_SECONDS));
  const expiresAt = new Date(now.getTime() + ttl * 1000);
  const { request, session, client } = input;
  const row = await deps.prisma.$transaction(async (tx) => {
    const created = await tx.authorizationCode.create({
      data: {
        tenantId: deps.tenantId,
        codeHash: hashSecret(code),
        clientId: client.id,
        userId: session.userId,
        sessionId: session.id,
        grantId: input.grantId ?? null,
        // OAuth 2.1 §4.1.3: the token request must repeat redirect_uri exactly when the
        // authorization request had one, and omit it when it did not ("" = omitted).
        redirectUri: request.redirectUriParam ?? "",
        scopes: request.scopes,
        resources: request.resources,
        codeChallenge: request.codeChallenge,
        codeChallengeMethod: "S256",
        nonce: request.nonce ?? null,
        claims: (request.claims ?? undefined) as Prisma.InputJsonValue | undefined,
        authTime: session.authTime,
        acr: session.acr,
        amr: session.amr,
        createdAt: now,
        expiresAt,
      },
      select: { id: true },
    });
    await tx.session.updateMany({
      where: { id: session.id, tenantId: deps.tenantId, NOT: { clientIds: { has: client.id } } },
      data: { clientIds: { push: client.id } },
    });
    return created;
  });
  return { code, id: row.id, expiresAt };
}
