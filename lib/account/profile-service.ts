/**
 * The account page's profile: the user's own claims (OIDC Core §5.1), read and saved for the user
 * id the caller took from a valid browser session.
 */
import type { AuditLog } from "../audit/audit-log";
import type { PrismaClient, User } from "../generated/prisma/client";
import type { RequestMeta } from "../oauth/interaction/flow";
import type { Clock } from "../server/clock";
import { claimOfColumn, parseProfileForm, type ProfileErrors } from "./profile";

export type ProfileUpdateOutcome =
  | { status: "saved"; user: User; changed: string[] }
  | { status: "unchanged" }
  | { status: "invalid"; errors: ProfileErrors }
  | { status: "not_found" };

export class ProfileService {
  constructor(private readonly deps: { prisma: PrismaClient; clock: Clock; tenantId: string; audit: AuditLog }) {}

  /** The user, if it exists in this tenant. */
  findUser(userId: string): Promise<User | null> {
    return this.deps.prisma.user.findFirst({ where: { id: userId, tenantId: this.deps.tenantId } });
  }

  /**
   * Saves the submitted profile claims (OIDC Core §5.1). Fields not submitted stay; empty ones are
   * cleared. A change bumps updated_at; a new phone number is no longer verified.
   */
  async updateProfile(userId: string, form: Record<string, unknown>, meta: RequestMeta = {}): Promise<ProfileUpdateOutcome> {
    const now = this.deps.clock.now();
    const parsed = parseProfileForm(form, now);
    if (!parsed.ok) return { status: "invalid", errors: parsed.errors };
    const user = await this.findUser(userId);
    if (!user) return { status: "not_found" };

    const changes = Object.fromEntries(Object.entries(parsed.changes).filter(([column, value]) => user[column as keyof User] !== value));
    const columns = Object.keys(changes) as (keyof typeof parsed.changes)[];
    if (columns.length === 0) return { status: "unchanged" };
    const changed = columns.map(claimOfColumn);

    const saved = await this.deps.prisma.$transaction(async (tx) => {
      const updated = await tx.user.update({
        where: { id: user.id },
        data: {
          ...changes,
          // OIDC Core §5.1 phone_number_verified: a new number has not been verified.
          ...("phoneNumber" in changes && { phoneNumberVerified: false }),
          // OIDC Core §5.1 updated_at, from the injected clock.
          updatedAt: now,
        },
      });
      await this.deps.audit.record(
        {
          type: "user.profile_updated",
          actorType: "user",
          actorId: user.id,
          targetType: "user",
          targetId: user.id,
          ...meta,
          // Which claims changed, never their values.
          details: { fields: changed },
        },
        tx,
      );
      return updated;
    });
    return { status: "saved", user: saved, changed };
  }
}
