import type { PrismaClient } from "../generated/prisma/client";
import type { Logger } from "../observability/logger";
import type { Clock } from "../server/clock";
import { Scheduler, type ScheduledTask } from "../server/scheduler";
import { RETAIN_FINISHED_MS } from "../oidc/backchannel-logout";

const HOUR_MS = 3_600_000;
/** Used codes are kept a day past their expiry, so a late replay still revokes what they issued. */
const CODE_GRACE_MS = 24 * HOUR_MS;

/**
 * Deletes protocol records nobody can use any more: expired interactions, authorization codes,
 * refresh token families and tokens past their absolute expiry, used client assertion jti values, access-token bookkeeping and revocation entries of
 * expired tokens, used or expired mailed links (UserToken), and back-channel logout deliveries finished long enough ago. Runs hourly on every instance (the deletes are idempotent, so no lock is needed),
 * as the task "expired-records" of the scheduler (lib/server/scheduler.ts).
 */
export class ExpiredRecordPurge {
  private readonly scheduler: Scheduler;
  private task: ScheduledTask | undefined;

  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      clock: Clock;
      logger: Logger;
      tenantId: string;
      /** The process's scheduler (composition root); a scheduler of its own when none is given. */
      scheduler?: Scheduler;
    },
  ) {
    this.scheduler = deps.scheduler ?? new Scheduler({ clock: deps.clock, logger: deps.logger });
  }

  async runOnce(): Promise<Record<string, number>> {
    const now = this.deps.clock.now();
    const codeCutoff = new Date(now.getTime() - CODE_GRACE_MS);
    const { prisma, tenantId } = this.deps;
    const counts = {
      interactions: (await prisma.interaction.deleteMany({ where: { tenantId, expiresAt: { lt: now } } })).count,
      accessTokens: (await prisma.accessToken.deleteMany({ where: { tenantId, expiresAt: { lt: now } } })).count,
      refreshTokens: (await prisma.refreshToken.deleteMany({ where: { tenantId, expiresAt: { lt: now } } })).count,
      // A family ends with its absolute expiry, as its tokens do (any left go with it: ON DELETE CASCADE).
      refreshTokenFamilies: (await prisma.refreshTokenFamily.deleteMany({ where: { tenantId, expiresAt: { lt: now } } })).count,
      authorizationCodes: (await prisma.authorizationCode.deleteMany({ where: { tenantId, expiresAt: { lt: codeCutoff } } })).count,
      revokedAccessTokens: (await prisma.revokedAccessToken.deleteMany({ where: { tenantId, expiresAt: { lt: now } } })).count,
      usedClientAssertions: (await prisma.usedClientAssertion.deleteMany({ where: { tenantId, expiresAt: { lt: now } } })).count,
      // Mailed verification and reset links: expired, or used already (single use).
      userTokens: (await prisma.userToken.deleteMany({ where: { tenantId, OR: [{ expiresAt: { lt: now } }, { usedAt: { not: null } }] } })).count,
      logoutDeliveries: (
        await prisma.logoutDelivery.deleteMany({
          where: { tenantId, status: { in: ["delivered", "failed"] }, finishedAt: { lt: new Date(now.getTime() - RETAIN_FINISHED_MS) } },
        })
      ).count,
    };
    if (Object.values(counts).some((n) => n > 0)) this.deps.logger.info("deleted expired protocol records", counts);
    return counts;
  }

  /** Purges at once and then hourly; the timer never keeps the process alive. */
  start(): void {
    this.task ??= this.scheduler.every("expired-records", HOUR_MS, () => this.runOnce(), { runAtStart: true });
  }

  /** Stops the schedule and waits for a purge in progress. */
  async stop(): Promise<void> {
    const task = this.task;
    this.task = undefined;
    await task?.cancel();
  }
}
