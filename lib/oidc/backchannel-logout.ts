/**
 * OpenID Connect Back-Channel Logout 1.0: when a browser session ends, every relying party of that
 * session that registered a `backchannel_logout_uri` receives a Logout Token (§2.4) by a direct
 * HTTP POST (§2.5). Deliveries are queued in the database (`LogoutDelivery`), so they survive a
 * restart and are retried with backoff until the RP answers 200/204 (§2.8) or we give up.
 *
 * Rows hold the token's inputs, never a signed token: each attempt signs a fresh token (new jti,
 * iat, exp), so a retry hours later is not an expired token. Several instances share the queue:
 * an attempt first claims its row with a conditional UPDATE (compare-and-set on attempts and
 * nextAttemptAt, which moves the row's nextAttemptAt forward by a lease), so exactly one instance
 * delivers it; a crashed instance's lease simply runs out and another one retries.
 */
import { randomUUID } from "node:crypto";
import type { AuditLog } from "../audit/audit-log";
import type { Client, LogoutDelivery, Prisma, PrismaClient } from "../generated/prisma/client";
import type { Logger } from "../observability/logger";
import type { TokenSigner } from "../oauth/access-token";
import { EgressError, EgressPolicy, EgressRefusedError, loopbackEgressAllowed, type Egress, type EgressResponse } from "../security/egress";
import type { Clock } from "../server/clock";
import { Scheduler, type ScheduledTask } from "../server/scheduler";
import { idTokenAlgorithmOf } from "./id-token";
import type { SubjectIdentifiers } from "./subject";

/** Back-Channel Logout 1.0 §2.4: the member of the `events` claim that makes a JWT a Logout Token. */
export const BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout";
/** Back-Channel Logout 1.0 §2.4 (RFC 8725 §3.11 explicit typing): the JOSE `typ` of Logout Tokens. */
export const LOGOUT_TOKEN_TYPE = "logout+jwt";
/** Back-Channel Logout 1.0 §2.4: "short expiration times, with a maximum of two minutes". */
export const LOGOUT_TOKEN_TTL_SECONDS = 120;

/** How long the RP has to answer one POST. */
export const REQUEST_TIMEOUT_MS = 5_000;
/** §2.8: only the status matters; at most this much of a response body is read, the rest is dropped. */
export const RESPONSE_MAX_BYTES = 4 * 1024;
/** How often a started worker looks for due deliveries (it is also kicked right after a logout). */
export const POLL_INTERVAL_MS = 5_000;
/** While an attempt runs its row is leased for this long; after a crash another instance retries. */
export const LEASE_MS = 60_000;
/**
 * Wait after the n-th failed attempt (n = 1, 2, ...): 10 s, 30 s, 2 min, 10 min, 1 h, 2 h, 4 h,
 * 8 h, 8 h; the 10th attempt comes about 23 h after the logout, and a failed 10th gives up.
 */
export const RETRY_DELAYS_MS = [10_000, 30_000, 120_000, 600_000, 3_600_000, 7_200_000, 14_400_000, 28_800_000, 28_800_000] as const;
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;
/** No attempt is scheduled later than this after the logout. */
export const GIVE_UP_AFTER_MS = 24 * 3_600_000;
/** Delivered and failed rows are kept this long (diagnostics), then deleted (lib/oauth/expired-records.ts). */
export const RETAIN_FINISHED_MS = 7 * 24 * 3_600_000;
const BATCH_SIZE = 25;
const CONCURRENCY = 5;
const MAX_BATCHES_PER_RUN = 40;

export interface LogoutTokenInput {
  client: Pick<Client, "clientId" | "subjectType" | "sectorIdentifierUri" | "redirectUris" | "idTokenSignedResponseAlg">;
  userId: string;
  sessionId: string;
}

/** A delivery to queue: one client of an ended session. */
export interface BackchannelDeliveryInput {
  client: Pick<Client, "id" | "backchannelLogoutUri">;
  userId: string;
  sessionId: string;
}

export interface DeliveryRunSummary {
  delivered: number;
  retried: number;
  failed: number;
}

export interface BackchannelLogoutWorkerOptions {
  prisma: PrismaClient;
  clock: Clock;
  logger: Logger;
  audit: AuditLog;
  signer: TokenSigner;
  subjects: SubjectIdentifiers;
  issuer: string;
  tenantId: string;
  /**
   * The egress policy every POST goes through (lib/security/egress.ts), from the composition root.
   * Without one, the strict default: no allow-list, loopback only when the issuer is loopback.
   */
  egress?: Egress;
  /** The process's scheduler (composition root); a scheduler of its own when none is given. */
  scheduler?: Scheduler;
}

type AttemptResult = { ok: true; status: number } | { ok: false; status?: number; error: string };

/**
 * Builds the claims of a Logout Token (Back-Channel Logout 1.0 §2.4): iss, aud (the client_id),
 * iat, exp, jti, events, sid and sub (as this client sees the user, OIDC Core §8). A Logout Token
 * MUST NOT contain a nonce (§2.4), so none is ever added.
 */
export function logoutTokenClaims(input: LogoutTokenInput, issuer: string, subjects: SubjectIdentifiers, nowMs: number): Record<string, unknown> {
  const iat = Math.floor(nowMs / 1000);
  return {
    iss: issuer,
    sub: subjects.subjectFor(input.client, input.userId),
    aud: input.client.clientId,
    iat,
    exp: iat + LOGOUT_TOKEN_TTL_SECONDS,
    jti: randomUUID(),
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    sid: input.sessionId,
  };
}

/** The wait after `attempts` failed attempts, or null when the delivery gives up. */
export function nextRetryDelayMs(attempts: number, createdAtMs: number, nowMs: number): number | null {
  if (attempts >= MAX_ATTEMPTS) return null;
  const delay: number = RETRY_DELAYS_MS[Math.min(Math.max(0, attempts - 1), RETRY_DELAYS_MS.length - 1)]!;
  if (nowMs + delay - createdAtMs > GIVE_UP_AFTER_MS) return null;
  return delay;
}

/**
 * A short, secret-free description of a failed POST (never the path or query, never the token):
 * the egress error's own message ("timeout", "network error (ECONNREFUSED)", "refused: ...").
 */
function describeFailure(error: unknown): string {
  if (error instanceof EgressError) return error.message;
  return "network error";
}

/**
 * Delivers queued Back-Channel Logout requests. `start()` polls every POLL_INTERVAL_MS (the task
 * "backchannel-logout" of the scheduler, lib/server/scheduler.ts) and on `kick()`; one round runs at
 * a time, and a kick during a round runs another right after it. `runOnce()` delivers everything
 * that is due now (tests call it with a manual clock).
 */
export class BackchannelLogoutWorker {
  private readonly scheduler: Scheduler;
  private task: ScheduledTask | undefined;

  private readonly egress: Egress;

  constructor(private readonly deps: BackchannelLogoutWorkerOptions) {
    this.egress = deps.egress ?? new EgressPolicy({ allowLoopback: loopbackEgressAllowed(deps.issuer) });
    this.scheduler = deps.scheduler ?? new Scheduler({ clock: deps.clock, logger: deps.logger });
  }

  /** Signs a fresh Logout Token with the client's ID token algorithm (§2.4: signed like an ID token). */
  signLogoutToken(input: LogoutTokenInput): Promise<string> {
    const claims = logoutTokenClaims(input, this.deps.issuer, this.deps.subjects, this.deps.clock.nowMs());
    return this.deps.signer.sign(claims, { typ: LOGOUT_TOKEN_TYPE, alg: idTokenAlgorithmOf(input.client) });
  }

  /** Queues one delivery per client with a back-channel logout URI, due at once, and wakes the worker. */
  async enqueue(items: readonly BackchannelDeliveryInput[]): Promise<number> {
    const now = this.deps.clock.now();
    const data = items
      .filter((i) => i.client.backchannelLogoutUri)
      .map((i) => ({
        id: randomUUID(),
        tenantId: this.deps.tenantId,
        clientId: i.client.id,
        userId: i.userId,
        sessionId: i.sessionId,
        uri: i.client.backchannelLogoutUri!,
        status: "pending" as const,
        attempts: 0,
        nextAttemptAt: now,
        createdAt: now,
      }));
    if (data.length === 0) return 0;
    await this.deps.prisma.logoutDelivery.createMany({ data });
    this.kick();
    return data.length;
  }

  /** Starts polling (server and `next dev`), the first round at once; the timer never keeps the process alive. */
  start(): void {
    this.task ??= this.scheduler.every("backchannel-logout", POLL_INTERVAL_MS, () => this.runOnce(), { runAtStart: true });
  }

  /** Runs a delivery round soon (after a logout); does nothing unless started. */
  kick(): void {
    this.task?.trigger();
  }

  /** Stops polling and waits for the round in progress. */
  async stop(): Promise<void> {
    const task = this.task;
    this.task = undefined;
    await task?.cancel();
  }

  /** Delivers every delivery that is due, claiming each one first (safe with several instances). */
  async runOnce(): Promise<DeliveryRunSummary> {
    const summary: DeliveryRunSummary = { delivered: 0, retried: 0, failed: 0 };
    const { prisma, tenantId, clock } = this.deps;
    for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
      const now = clock.now();
      const due = await prisma.logoutDelivery.findMany({
        where: { tenantId, status: "pending", nextAttemptAt: { lte: now } },
        orderBy: { nextAttemptAt: "asc" },
        take: BATCH_SIZE,
      });
      if (due.length === 0) break;
      const claimed: LogoutDelivery[] = [];
      for (const row of due) {
        const mine = await this.claim(row, now);
        if (mine) claimed.push(mine);
      }
      await runPool(claimed, CONCURRENCY, async (row) => {
        summary[await this.attempt(row)] += 1;
      });
      if (due.length < BATCH_SIZE) break;
    }
    return summary;
  }

  /**
   * Claims a due row: counts the attempt and leases the row (nextAttemptAt = now + LEASE_MS) in one
   * conditional UPDATE. Of several instances only the first matches; the others see 0 rows.
   */
  private async claim(row: LogoutDelivery, now: Date): Promise<LogoutDelivery | null> {
    const lease = new Date(now.getTime() + LEASE_MS);
    const result = await this.deps.prisma.logoutDelivery.updateMany({
      where: { id: row.id, status: "pending", attempts: row.attempts, nextAttemptAt: row.nextAttemptAt },
      data: { attempts: { increment: 1 }, nextAttemptAt: lease },
    });
    return result.count === 1 ? { ...row, attempts: row.attempts + 1, nextAttemptAt: lease } : null;
  }

  private async attempt(row: LogoutDelivery): Promise<keyof DeliveryRunSummary> {
    const client = await this.deps.prisma.client.findFirst({ where: { id: row.clientId, tenantId: this.deps.tenantId } });
    if (!client || !client.enabled || !client.backchannelLogoutUri) {
      // Nothing to deliver to any more: the client was deleted, disabled or unregistered its URI.
      await this.finish(row, client, { ok: false, error: "client no longer accepts back-channel logout" }, true);
      return "failed";
    }
    let result: AttemptResult;
    try {
      const token = await this.signLogoutToken({ client, userId: row.userId, sessionId: row.sessionId });
      // The URI registered now (normally the one queued; an updated registration wins).
      result = await this.post(client.backchannelLogoutUri, token, client.clientId);
    } catch (error) {
      this.deps.logger.warn("cannot sign a logout token", { error, clientId: client.clientId });
      result = { ok: false, error: "signing failed" };
    }
    return this.finish(row, client, result, false);
  }

  /**
   * Back-Channel Logout 1.0 §2.5: POST logout_token as a form, through the egress policy. Redirects
   * are not followed: the registered URI is the only place a logout token goes (a redirect is a
   * refusal). A refused URI (private address, plain http, ...) is a failed attempt like any other,
   * retried by the usual schedule (an operator may fix the allow-list or the client meanwhile).
   */
  private async post(uri: string, token: string, clientId: string): Promise<AttemptResult> {
    let response: EgressResponse;
    try {
      response = await this.egress.fetch(uri, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json, */*" },
        body: new URLSearchParams({ logout_token: token }).toString(),
        maxBytes: RESPONSE_MAX_BYTES,
        overflow: "truncate",
        timeoutMs: REQUEST_TIMEOUT_MS,
      });
    } catch (error) {
      const reason = describeFailure(error);
      if (error instanceof EgressRefusedError) {
        this.deps.logger.warn("back-channel logout URI refused by the egress policy", { clientId, reason });
      }
      return { ok: false, error: reason };
    }
    // §2.8: "If the logout succeeded, the RP MUST respond with HTTP 200 OK"; 204 is accepted too
    // (§2.8 notes that some frameworks substitute it).
    if (response.status === 200 || response.status === 204) return { ok: true, status: response.status };
    return { ok: false, status: response.status, error: `HTTP ${response.status}` };
  }

  private async finish(row: LogoutDelivery, client: Client | null, result: AttemptResult, final: boolean): Promise<keyof DeliveryRunSummary> {
    const { prisma, audit, clock } = this.deps;
    const now = clock.now();
    const where = { id: row.id, status: "pending" as const, attempts: row.attempts };
    const event = {
      actorType: "system" as const,
      targetType: "client",
      targetId: client?.clientId ?? row.clientId,
      details: { deliveryId: row.id, sessionId: row.sessionId, attempt: row.attempts, httpStatus: result.status ?? null },
    };
    // The outcome is written only while this attempt still owns the row (attempts unchanged): after
    // an expired lease another instance may have taken it over, and its outcome counts instead.
    const owned = async (data: Prisma.LogoutDeliveryUpdateManyMutationInput) => (await prisma.logoutDelivery.updateMany({ where, data })).count === 1;
    if (result.ok) {
      if (await owned({ status: "delivered", deliveredAt: now, finishedAt: now, lastStatus: result.status, lastError: null })) {
        await audit.record({ ...event, type: "logout.backchannel.delivered" });
      }
      return "delivered";
    }
    const delay = final ? null : nextRetryDelayMs(row.attempts, row.createdAt.getTime(), now.getTime());
    const lastError = result.error.slice(0, 200);
    if (delay === null) {
      if (!(await owned({ status: "failed", finishedAt: now, lastStatus: result.status ?? null, lastError }))) return "failed";
      await audit.record({ ...event, type: "logout.backchannel.failed", outcome: "failure", details: { ...event.details, error: lastError } });
      this.deps.logger.warn("back-channel logout given up", { clientId: event.targetId, attempts: row.attempts, error: lastError });
      return "failed";
    }
    const nextAttemptAt = new Date(now.getTime() + delay);
    if (!(await owned({ nextAttemptAt, lastStatus: result.status ?? null, lastError }))) return "retried";
    await audit.record({
      ...event,
      type: "logout.backchannel.retry",
      outcome: "failure",
      details: { ...event.details, error: lastError, nextAttemptAt: nextAttemptAt.toISOString() },
    });
    return "retried";
  }
}

/** Runs `fn` over `items` with at most `limit` at a time. */
async function runPool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
