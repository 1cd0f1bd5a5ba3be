/**
 * The signed-in user's self-service (the /account pages): profile claims, password change, the
 * browser sessions and the applications holding consent, each a service of its own
 * (profile-service.ts, password-service.ts, session-service.ts, applications-service.ts), reached
 * through this one entry point. Every method acts for one user id that the caller took from a
 * valid browser session; nothing here trusts ids from a form without checking that they belong to
 * that user.
 *
 * What each action does to sessions and tokens is described in docs/account.md.
 */
import type { User } from "../generated/prisma/client";
import type { RequestMeta } from "../oauth/interaction/flow";
import type { ApplicationAccess, ApplicationsService } from "./applications-service";
import type { PasswordChangeOutcome, PasswordChangeService } from "./password-service";
import type { ProfileService, ProfileUpdateOutcome } from "./profile-service";
import type { AccountSessionService, ActiveSession } from "./session-service";

export class AccountService {
  constructor(
    private readonly services: {
      profile: ProfileService;
      password: PasswordChangeService;
      sessions: AccountSessionService;
      applications: ApplicationsService;
    },
  ) {}

  /** The user, if it exists in this tenant. */
  findUser(userId: string): Promise<User | null> {
    return this.services.profile.findUser(userId);
  }

  /** ProfileService.updateProfile */
  updateProfile(userId: string, form: Record<string, unknown>, meta: RequestMeta = {}): Promise<ProfileUpdateOutcome> {
    return this.services.profile.updateProfile(userId, form, meta);
  }

  /** PasswordChangeService.changePassword */
  changePassword(current: { userId: string; sessionId: string }, form: Record<string, unknown>, meta: RequestMeta = {}): Promise<PasswordChangeOutcome> {
    return this.services.password.changePassword(current, form, meta);
  }

  /** AccountSessionService.activeSessions */
  activeSessions(userId: string, currentSessionId: string): Promise<ActiveSession[]> {
    return this.services.sessions.activeSessions(userId, currentSessionId);
  }

  /** AccountSessionService.countActiveSessions */
  countActiveSessions(userId: string): Promise<number> {
    return this.services.sessions.countActiveSessions(userId);
  }

  /** AccountSessionService.endSession */
  endSession(userId: string, sessionId: string, meta: RequestMeta = {}): Promise<boolean> {
    return this.services.sessions.endSession(userId, sessionId, meta);
  }

  /** AccountSessionService.endAllSessions */
  endAllSessions(userId: string, meta: RequestMeta = {}): Promise<number> {
    return this.services.sessions.endAllSessions(userId, meta);
  }

  /** AccountSessionService.signOut */
  signOut(sessionId: string, meta: RequestMeta = {}): Promise<void> {
    return this.services.sessions.signOut(sessionId, meta);
  }

  /** ApplicationsService.applications */
  applications(userId: string): Promise<ApplicationAccess[]> {
    return this.services.applications.applications(userId);
  }

  /** ApplicationsService.countApplications */
  countApplications(userId: string): Promise<number> {
    return this.services.applications.countApplications(userId);
  }

  /** ApplicationsService.withdrawConsent */
  withdrawConsent(userId: string, clientRowId: string, meta: RequestMeta = {}): Promise<boolean> {
    return this.services.applications.withdrawConsent(userId, clientRowId, meta);
  }
}
