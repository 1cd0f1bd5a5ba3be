/**
 * The end of a browser session with everything that follows from it (LogoutService): the session
 * row ended, the session's tokens revoked, the audit record, Front-Channel Logout 1.0 iframes for
 * the page shown to this browser and Back-Channel Logout 1.0 deliveries queued. Shared by the
 * end_session_endpoint (./handler.ts) and by anything else that signs a user out (account page,
 * password reset, admin).
 */
import type { AuditEventInput, AuditLog } from "../../audit/audit-log";
import type { Client, PrismaClient } from "../../generated/prisma/client";
import type { IssuedTokenRevoker } from "../../oauth/issued-tokens";
import type { Clock } from "../../server/clock";
import type { BrowserSessionService } from "../../sessions/browser-session";
import type { BackchannelLogoutWorker } from "../backchannel-logout";
import { frontchannelTargets, type FrontchannelTarget } from "../frontchannel-logout";

export interface EndSessionOptions {
  /** Why the session ends, stored on the session row ("logout", "logout_everywhere", "admin", ...). */
  reason: string;
  /** The client whose RP-Initiated Logout request ended it, if any. */
  initiatingClient?: Pick<Client, "clientId">;
  /** Who ended it (audit); by default the session's user. */
  actor?: { type: AuditEventInput["actorType"]; id?: string };
  ipAddress?: string;
  userAgent?: string;
  requestId?: string;
}

export interface EndedSession {
  /** False when the session did not exist or had already ended: nothing was done. */
  ended: boolean;
  /** Front-Channel Logout 1.0 §4: the iframes the page shown to this browser should render. */
  frontchannel: FrontchannelTarget[];
  /** Back-Channel Logout 1.0: the deliveries queued. */
  backchannel: number;
  /** Refresh token families revoked. */
  revokedFamilies: number;
}

/** Ends browser sessions and notifies the relying parties. */
export class LogoutService {
  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      clock: Clock;
      tenantId: string;
      issuer: string;
      sessions: BrowserSessionService;
      tokenRevoker: IssuedTokenRevoker;
      audit: AuditLog;
      backchannel: BackchannelLogoutWorker;
    },
  ) {}

  async endSession(sessionId: string, options: EndSessionOptions): Promise<EndedSession> {
    const { prisma, tenantId } = this.deps;
    const nothing: EndedSession = { ended: false, frontchannel: [], backchannel: 0, revokedFamilies: 0 };
    const session = await prisma.session.findFirst({ where: { id: sessionId, tenantId } });
    if (!session) return nothing;
    // Only the request that actually ends the session fans out (two tabs logging out at once).
    if (!(await this.deps.sessions.end(session.id, options.reason))) return nothing;

    const clients = session.clientIds.length
      ? await prisma.client.findMany({ where: { tenantId, id: { in: session.clientIds } }, orderBy: { createdAt: "asc" } })
      : [];

    // Every access token issued in this session, and the refresh token families of this session
    // for the clients that asked for it (revokeRefreshTokensOnLogout; a family continues the grant).
    const revoking = clients.filter((c) => c.revokeRefreshTokensOnLogout).map((c) => c.id);
    const revoked = await this.deps.tokenRevoker.revokeSession(session.id, revoking, "logout");
    const revokedFamilies = revoked.families;

    const notified = clients.filter((c) => c.enabled);
    // Back-Channel Logout 1.0 §2.3: every RP of the session that registered a back-channel URI.
    const backchannel = await this.deps.backchannel.enqueue(
      notified.filter((c) => c.backchannelLogoutUri).map((client) => ({ client, userId: session.userId, sessionId: session.id })),
    );
    const frontchannel = frontchannelTargets(notified, this.deps.issuer, session.id);

    await this.deps.audit.record({
      type: "session.logout",
      actorType: options.actor?.type ?? "user",
      actorId: options.actor ? options.actor.id : session.userId,
      targetType: "session",
      targetId: session.id,
      ipAddress: options.ipAddress,
      userAgent: options.userAgent?.slice(0, 512),
      requestId: options.requestId,
      details: {
        reason: options.reason,
        userId: session.userId,
        ...(options.initiatingClient && { client: options.initiatingClient.clientId }),
        revokedFamilies,
        revokedAccess: revoked.accessTokens,
        frontchannel: frontchannel.map((f) => f.clientId),
        backchannel,
      },
    });
    return { ended: true, frontchannel, backchannel, revokedFamilies };
  }

  /**
   * Ends every session of a user that has not ended ("sign out everywhere", a password reset),
   * expired ones included (their tokens may still be alive); returns how many ended.
   */
  async endAllSessions(userId: string, options: EndSessionOptions): Promise<number> {
    const open = await this.deps.prisma.session.findMany({
      where: { tenantId: this.deps.tenantId, userId, endedAt: null },
      select: { id: true },
    });
    let ended = 0;
    for (const { id } of open) if ((await this.endSession(id, options)).ended) ended += 1;
    return ended;
  }
}
