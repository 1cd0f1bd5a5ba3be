/**
 * Pending authorization requests. A valid request that needs the user is stored as an
 * `Interaction` row (so any instance can continue it) for INTERACTION_LIFETIME_SECONDS, bound to
 * the browser that sent it: the browser holds a random value in the interaction cookie
 * (./browser.ts) and the row holds its SHA-256. `result` records what happened inside the
 * interaction so far (a sign-in completed here, a consent decision).
 */
import { Prisma } from "../../generated/prisma/client";
import type { Client, Interaction, PrismaClient, Session } from "../../generated/prisma/client";
import type { InteractionPrompt } from "../../oidc/interaction-policy";
import { hashSecret, randomToken, timingSafeEqualStrings } from "../../security/secrets";
import type { Clock } from "../../server/clock";
import type { AuthorizationRequest } from "../authorization-request";
import { isBrowserBinding } from "./browser";

/** How long a pending authorization request waits for the user. */
export const INTERACTION_LIFETIME_SECONDS = 10 * 60;

/** Interaction ids: randomToken(32). */
export function isInteractionId(value: unknown): value is string {
  return typeof value === "string" && /^[A-Za-z0-9_-]{43}$/.test(value);
}

/** Interaction.params */
interface StoredParams {
  request: AuthorizationRequest;
  /** hashSecret(browser binding cookie) */
  binding: string;
}

/** What happened inside the interaction so far (Interaction.result). */
export interface InteractionResult {
  /** The user who signed in here or decided. */
  userId: string;
  consent?: "allow" | "deny";
  grantId?: string;
  /**
   * The session started by a sign-in inside this interaction. Only such a sign-in satisfies
   * prompt=login/select_account, max_age and id_token_hint; an older session never does.
   */
  loginSessionId?: string;
}

/** An interaction this browser may continue. */
export interface LoadedInteraction {
  interaction: Interaction;
  request: AuthorizationRequest;
  result: InteractionResult | null;
}

export type UnusableInteraction = { reason: "not_found" | "expired" | "consumed" | "other_browser" };

export class InteractionStore {
  constructor(private readonly deps: { prisma: PrismaClient; clock: Clock; tenantId: string }) {}

  /** Stores the request for the user; `browserBinding` is the raw interaction cookie value. Returns the new id. */
  async create(client: Client, request: AuthorizationRequest, session: Session | null, browserBinding: string, prompt: InteractionPrompt): Promise<string> {
    // Same size as a code: 256 bits, unguessable (RFC 6749 §10.10).
    const id = randomToken(32);
    const now = this.deps.clock.now();
    const params: StoredParams = { request, binding: hashSecret(browserBinding) };
    await this.deps.prisma.interaction.create({
      data: {
        id,
        tenantId: this.deps.tenantId,
        clientId: client.id,
        prompt,
        params: params as unknown as Prisma.InputJsonValue,
        sessionId: session?.id ?? null,
        userId: session?.userId ?? null,
        createdAt: now,
        expiresAt: new Date(now.getTime() + INTERACTION_LIFETIME_SECONDS * 1000),
      },
    });
    return id;
  }

  /** The interaction, if it exists, is this browser's, and is neither used nor expired. */
  async load(id: string, browserBinding: string | undefined): Promise<LoadedInteraction | UnusableInteraction> {
    if (!isInteractionId(id)) return { reason: "not_found" };
    const interaction = await this.deps.prisma.interaction.findFirst({ where: { id, tenantId: this.deps.tenantId } });
    if (!interaction) return { reason: "not_found" };
    const params = interaction.params as unknown as StoredParams;
    // The browser that started the request must be the one finishing it (login CSRF, RFC 9700 §4.7).
    if (!isBrowserBinding(browserBinding) || !timingSafeEqualStrings(hashSecret(browserBinding), params.binding)) {
      return { reason: "other_browser" };
    }
    if (interaction.consumedAt) return { reason: "consumed" };
    if (interaction.expiresAt.getTime() <= this.deps.clock.nowMs()) return { reason: "expired" };
    return { interaction, request: params.request, result: interaction.result as InteractionResult | null };
  }

  /** The page the interaction is at. */
  async setPrompt(id: string, prompt: InteractionPrompt): Promise<void> {
    await this.deps.prisma.interaction.updateMany({ where: { id, consumedAt: null }, data: { prompt } });
  }

  /** A sign-in completed inside the interaction: its session, and the result that records it. */
  async recordSignIn(id: string, session: Pick<Session, "id" | "userId">, result: InteractionResult): Promise<void> {
    await this.deps.prisma.interaction.updateMany({
      where: { id, consumedAt: null },
      data: { userId: session.userId, sessionId: session.id, result: result as unknown as Prisma.InputJsonValue },
    });
  }

  async recordResult(id: string, result: InteractionResult): Promise<void> {
    await this.deps.prisma.interaction.updateMany({ where: { id, consumedAt: null }, data: { result: result as unknown as Prisma.InputJsonValue } });
  }

  /** Continues with the browser's current session; the result is dropped when it belongs to someone else. */
  async moveToSession(id: string, session: Pick<Session, "id" | "userId">, dropResult: boolean): Promise<void> {
    await this.deps.prisma.interaction.updateMany({
      where: { id, consumedAt: null },
      data: { userId: session.userId, sessionId: session.id, ...(dropResult && { result: Prisma.DbNull }) },
    });
  }

  /** Single use: true only for the one caller that flips consumedAt from null, before expiry. */
  async consume(id: string): Promise<boolean> {
    const consumed = await this.deps.prisma.interaction.updateMany({
      where: { id, tenantId: this.deps.tenantId, consumedAt: null, expiresAt: { gt: this.deps.clock.now() } },
      data: { consumedAt: this.deps.clock.now() },
    });
    return consumed.count === 1;
  }
}
