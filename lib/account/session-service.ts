/**
 * The account page's list of browser sessions: the user's live sessions, and signing one, all or
 * this browser's out (LogoutService does the ending: tokens, audit, logout notifications).
 */
import type { PrismaClient } from "../generated/prisma/client";
import type { RequestMeta } from "../oauth/interaction/flow";
import type { LogoutService } from "../oidc/logout/service";
import type { Clock } from "../server/clock";
import { describeUserAgent, type DeviceDescription } from "./user-agent";

export interface ActiveSession {
  id: string;
  device: DeviceDescription;
  ipAddress: string | null;
  /** When the user last authenticated in this session. */
  signedInAt: Date;
  lastSeenAt: Date;
  /** The session of the browser asking. */
  current: boolean;
}

export class AccountSessionService {
  constructor(private readonly deps: { prisma: PrismaClient; clock: Clock; tenantId: string; logout: LogoutService }) {}

  /**
   * The user's live sessions: not ended, within both the absolute and the idle lifetime; the
   * current one first, then the most recently used.
   */
  async activeSessions(userId: string, currentSessionId: string): Promise<ActiveSession[]> {
    const now = this.deps.clock.now();
    const rows = await this.deps.prisma.session.findMany({
      where: { tenantId: this.deps.tenantId, userId, endedAt: null, expiresAt: { gt: now }, idleExpiresAt: { gt: now } },
      orderBy: [{ lastSeenAt: "desc" }, { createdAt: "desc" }],
      take: 100,
    });
    return rows
      .map((row) => ({
        id: row.id,
        device: describeUserAgent(row.userAgent),
        ipAddress: row.ipAddress,
        signedInAt: row.authTime,
        lastSeenAt: row.lastSeenAt,
        current: row.id === currentSessionId,
      }))
      .sort((a, b) => Number(b.current) - Number(a.current));
  }

  /** How many live sessions the user has (the overview page). */
  countActiveSessions(userId: string): Promise<number> {
    const now = this.deps.clock.now();
    return this.deps.prisma.session.count({
      where: { tenantId: this.deps.tenantId, userId, endedAt: null, expiresAt: { gt: now }, idleExpiresAt: { gt: now } },
    });
  }

  /**
   * Ends one of the user's sessions ("Sign out" beside a device). Refused (false) when the id is
   * not a session of this user or it has ended already. The other browser is signed out at once:
   * every request checks its session row.
   */
  async endSession(userId: string, sessionId: string, meta: RequestMeta = {}): Promise<boolean> {
    const session = await this.deps.prisma.session.findFirst({ where: { id: sessionId, tenantId: this.deps.tenantId, userId, endedAt: null }, select: { id: true } });
    if (!session) return false;
    const ended = await this.deps.logout.endSession(session.id, { reason: "ended_by_user", actor: { type: "user", id: userId }, ...meta });
    return ended.ended;
  }

  /** "Sign out everywhere": ends every session of the user, this browser's included. */
  endAllSessions(userId: string, meta: RequestMeta = {}): Promise<number> {
    return this.deps.logout.endAllSessions(userId, { reason: "logout_everywhere", actor: { type: "user", id: userId }, ...meta });
  }

  /** "Sign out": ends this browser's session (the caller clears its cookies). */
  async signOut(sessionId: string, meta: RequestMeta = {}): Promise<void> {
    await this.deps.logout.endSession(sessionId, { reason: "user_logout", ...meta });
  }
}
