/**
 * The account page's services (lib/account/*-service.ts): profile claims (OIDC Core §5.1),
 * password change with its rate limit and the end of other sessions, the list of live sessions
 * and ending them, and withdrawing an application's consent with the tokens it holds. Tokens are
 * minted through the real token endpoint; the next authorization request is decided by the same
 * InteractionService the authorization endpoint uses.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client, Session, User } from "../lib/generated/prisma/client";
import { PASSWORD_CHANGE_MAX_ATTEMPTS, PASSWORD_CHANGE_WINDOW_SECONDS } from "../lib/account/password-service";
import type { AuthorizationRequest } from "../lib/oauth/authorization-request";
import { hashSecret } from "../lib/security/secrets";
import { runStartupTasks } from "../lib/server/first-start";
import { basic, call, pkcePair, storeAuthorizationCode } from "./support/oauth";
import { createTestContainer, databaseKind, type TestContext } from "./support/test-env";
import { Browser } from "./support/browser";

const FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const SAFARI_IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";

describe(`account self-service (${databaseKind})`, () => {
  let ctx: TestContext;
  const clients: Record<string, Client> = {};
  const secrets: Record<string, string> = {};
  let userCount = 0;

  beforeAll(async () => {
    ctx = await createTestContainer();
    await runStartupTasks(ctx.container);
    for (const name of ["web", "other"]) {
      const created = await ctx.container.clients.create({
        name: `${name} app`,
        type: "confidential",
        redirectUris: [`https://${name}.example.com/cb`],
        grantTypes: ["authorization_code", "refresh_token"],
        scopes: ["openid", "profile", "email", "offline_access"],
      });
      clients[name] = created.client;
      secrets[name] = created.clientSecret!;
    }
  });
  afterAll(() => ctx?.cleanup());

  const account = () => ctx.container.account;

  /** A fresh user per test, so counters and sessions never leak between tests. */
  async function newUser(password = "correct-horse-battery"): Promise<User> {
    userCount += 1;
    return ctx.container.users.create({ email: `user${userCount}@example.com`, password, name: `User ${userCount}` });
  }

  function signIn(user: Pick<User, "id">, userAgent?: string, ipAddress?: string): Promise<Session> {
    return ctx.container.sessions.start({ userId: user.id, userAgent, ipAddress });
  }

  const isLive = async (session: Pick<Session, "id">) => (await ctx.container.sessions.findValid(session.id)) !== null;
  const sessionRow = (session: Pick<Session, "id">) => ctx.container.prisma.session.findUniqueOrThrow({ where: { id: session.id } });
  const userRow = (user: Pick<User, "id">) => ctx.container.prisma.user.findUniqueOrThrow({ where: { id: user.id } });

  /** A code flow through the token endpoint: the tokens a client holds for the user. */
  async function tokens(name: string, user: Pick<User, "id">, session: Session | null, scopes = ["openid", "profile", "offline_access"]) {
    const client = clients[name]!;
    const { verifier, challenge } = pkcePair();
    const code = await storeAuthorizationCode(ctx.container, { clientRowId: client.id, userId: user.id, challenge, redirectUri: client.redirectUris[0]!, scopes, sessionId: session?.id });
    if (session) await ctx.container.sessions.addClient(session.id, client.id);
    const response = await token(name, { grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: client.redirectUris[0]! });
    expect(response.status).toBe(200);
    return (await response.json()) as { access_token: string; refresh_token?: string };
  }

  function token(name: string, form: Record<string, string>): Promise<Response> {
    return call(ctx.container, "/oauth/token", { form, headers: { authorization: basic(clients[name]!.clientId, secrets[name]!) } });
  }

  async function refreshWorks(name: string, refreshToken: string): Promise<boolean> {
    const response = await token(name, { grant_type: "refresh_token", refresh_token: refreshToken });
    if (response.status === 200) return true;
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe("invalid_grant");
    return false;
  }

  const auditOf = (type: string, actorId: string) => ctx.container.prisma.auditEvent.findMany({ where: { type, actorId }, orderBy: { occurredAt: "asc" } });

  // -------------------------------------------------------------------------------------------

  describe("profile", () => {
    it("refuses bad values field by field and writes nothing", async () => {
      const user = await newUser();
      const before = await userRow(user);
      ctx.clock.advance(60_000);
      const outcome = await account().updateProfile(user.id, {
        name: "Valid Name",
        website: "javascript:alert(1)",
        picture: "ftp://example.com/me.png",
        profile: "https://user:secret@example.com/me",
        birthdate: "1990-02-30",
        zoneinfo: "Mars/Olympus_Mons",
        locale: "not a locale",
        phone_number: "030 1234567",
        nickname: "n".repeat(101),
        address_postal_code: "1".repeat(21),
      });
      expect(outcome).toEqual({
        status: "invalid",
        errors: {
          website: "url",
          picture: "url",
          profile: "url",
          birthdate: "birthdate",
          zoneinfo: "zoneinfo",
          locale: "locale",
          phone_number: "phone",
          nickname: "too_long",
          address_postal_code: "too_long",
        },
      });
      // Nothing written, not even the valid field; updated_at unchanged.
      expect(await userRow(user)).toEqual(before);
      // A birthdate in the future (by the injected clock) is refused as well.
      const tomorrow = new Date(ctx.clock.nowMs() + 86_400_000).toISOString().slice(0, 10);
      expect(await account().updateProfile(user.id, { birthdate: tomorrow })).toEqual({ status: "invalid", errors: { birthdate: "birthdate" } });
      expect(await account().updateProfile(user.id, { given_name: ["an", "array"] })).toEqual({ status: "invalid", errors: { given_name: "invalid" } });
    });

    it("saves the claims, bumps updated_at and audits the changed field names only", async () => {
      const user = await newUser();
      ctx.clock.advance(5 * 60_000);
      const outcome = await account().updateProfile(user.id, {
        name: "  Alice Liddell ",
        given_name: "Alice",
        family_name: "Liddell",
        website: "https://alice.example.org/",
        birthdate: "0000-05-04",
        zoneinfo: "Europe/London",
        locale: "en_gb",
        gender: "other",
        gender_custom: "prefers not to say",
        address_street_address: "7 Wonder Lane\r\nFlat 2",
        address_country: "United Kingdom",
        // Sent empty: stays empty (was never set).
        nickname: "",
      });
      expect(outcome.status).toBe("saved");
      const row = await userRow(user);
      expect(row).toMatchObject({
        name: "Alice Liddell",
        givenName: "Alice",
        familyName: "Liddell",
        website: "https://alice.example.org/",
        birthdate: "0000-05-04",
        zoneinfo: "Europe/London",
        locale: "en-GB",
        gender: "prefers not to say",
        addressStreetAddress: "7 Wonder Lane\nFlat 2",
        addressCountry: "United Kingdom",
        nickname: null,
      });
      // OIDC Core §5.1 updated_at comes from the injected clock.
      expect(row.updatedAt.getTime()).toBe(ctx.clock.nowMs());
      const [event] = await auditOf("user.profile_updated", user.id);
      expect(event!.targetId).toBe(user.id);
      const fields = (event!.details as { fields: string[] }).fields;
      expect(fields.sort()).toEqual(
        ["name", "given_name", "family_name", "website", "birthdate", "zoneinfo", "locale", "gender", "address.street_address", "address.country"].sort(),
      );
      const serialized = JSON.stringify(event);
      for (const value of ["Liddell", "alice.example.org", "Wonder", "Europe/London"]) expect(serialized).not.toContain(value);

      // Submitting the same values changes nothing: no write, no audit, updated_at stays.
      const savedAt = row.updatedAt;
      ctx.clock.advance(60_000);
      expect(await account().updateProfile(user.id, { name: "Alice Liddell", locale: "en-GB", gender: "other", gender_custom: "prefers not to say" })).toEqual({ status: "unchanged" });
      expect((await userRow(user)).updatedAt).toEqual(savedAt);
      expect(await auditOf("user.profile_updated", user.id)).toHaveLength(1);

      // An empty field clears the claim; absent fields stay.
      ctx.clock.advance(60_000);
      expect(await account().updateProfile(user.id, { website: "", gender: "" })).toMatchObject({ status: "saved", changed: ["website", "gender"] });
      expect(await userRow(user)).toMatchObject({ website: null, gender: null, name: "Alice Liddell", zoneinfo: "Europe/London", updatedAt: ctx.clock.now() });
    });

    it("a new phone number is no longer verified; the same number keeps its verification", async () => {
      const user = await newUser();
      await ctx.container.prisma.user.update({ where: { id: user.id }, data: { phoneNumber: "+4930123456", phoneNumberVerified: true } });
      // The same number typed with spaces: normalized to E.164, unchanged.
      expect(await account().updateProfile(user.id, { phone_number: "+49 30 123456" })).toEqual({ status: "unchanged" });
      expect(await userRow(user)).toMatchObject({ phoneNumber: "+4930123456", phoneNumberVerified: true });
      expect(await account().updateProfile(user.id, { phone_number: "+49 30 654321" })).toMatchObject({ status: "saved", changed: ["phone_number"] });
      expect(await userRow(user)).toMatchObject({ phoneNumber: "+4930654321", phoneNumberVerified: false });
      // Changing another claim does not touch the verification flag.
      await ctx.container.prisma.user.update({ where: { id: user.id }, data: { phoneNumberVerified: true } });
      await account().updateProfile(user.id, { name: "Someone else" });
      expect((await userRow(user)).phoneNumberVerified).toBe(true);
    });
  });

  // -------------------------------------------------------------------------------------------

  describe("password change", () => {
    const form = (current: string, next: string, options: { confirm?: string; signOutOthers?: boolean } = {}) => ({
      current_password: current,
      new_password: next,
      confirm_password: options.confirm ?? next,
      ...(options.signOutOthers !== false && { sign_out_others: "yes" }),
    });

    it("refuses a wrong current password, a short, mismatched or unchanged new one", async () => {
      const user = await newUser("first-password-123");
      const session = await signIn(user);
      const me = { userId: user.id, sessionId: session.id };
      const hash = (await userRow(user)).passwordHash;
      expect(await account().changePassword(me, form("wrong-password-123", "second-password-123"))).toEqual({ status: "invalid", errors: { current_password: "wrong" } });
      expect(await account().changePassword(me, form("first-password-123", "short"))).toEqual({ status: "invalid", errors: { new_password: "too_short" } });
      expect(await account().changePassword(me, form("first-password-123", "second-password-123", { confirm: "second-password-124" }))).toEqual({
        status: "invalid",
        errors: { confirm_password: "mismatch" },
      });
      expect(await account().changePassword(me, form("first-password-123", "first-password-123"))).toEqual({ status: "invalid", errors: { new_password: "same_as_current" } });
      expect(await account().changePassword(me, form("", "second-password-123"))).toEqual({ status: "invalid", errors: { current_password: "required" } });
      expect(await account().changePassword(me, { new_password: 42 })).toMatchObject({ status: "invalid" });
      expect((await userRow(user)).passwordHash).toBe(hash);
      const failures = await auditOf("user.password_changed", user.id);
      expect(failures.map((e) => [e.outcome, (e.details as { reason?: string }).reason])).toEqual([
        ["failure", "wrong_current_password"],
      ]);
    });

    it("re-hashes, ends the other sessions (their refresh tokens too) and keeps the current one", async () => {
      const user = await newUser("first-password-123");
      const stranger = await newUser();
      const current = await signIn(user, FIREFOX_LINUX);
      const phone = await signIn(user, SAFARI_IPHONE);
      const laptop = await signIn(user);
      const strangers = await signIn(stranger);
      const onPhone = await tokens("web", user, phone);
      const before = await userRow(user);
      ctx.clock.advance(60_000);

      const outcome = await account().changePassword({ userId: user.id, sessionId: current.id }, form("first-password-123", "second-password-123"));
      expect(outcome).toEqual({ status: "changed", otherSessionsEnded: 2 });
      const after = await userRow(user);
      expect(after.passwordHash).not.toBe(before.passwordHash);
      expect(after.passwordHash).toMatch(/^\$argon2id\$/);
      expect(after.passwordChangedAt).toEqual(ctx.clock.now());
      // The password is not a profile claim: updated_at stays.
      expect(after.updatedAt).toEqual(before.updatedAt);
      expect((await ctx.container.passwordHasher.verify(after.passwordHash!, "second-password-123")).valid).toBe(true);
      expect((await ctx.container.passwordHasher.verify(after.passwordHash!, "first-password-123")).valid).toBe(false);
      expect((await ctx.container.users.verifyPassword(user.email, "second-password-123")).user?.id).toBe(user.id);

      expect(await isLive(current)).toBe(true);
      expect(await isLive(phone)).toBe(false);
      expect(await isLive(laptop)).toBe(false);
      expect(await isLive(strangers)).toBe(true);
      expect((await sessionRow(phone)).endReason).toBe("password_changed");
      // The ended session's refresh token (revokeRefreshTokensOnLogout by default) is revoked.
      expect(await refreshWorks("web", onPhone.refresh_token!)).toBe(false);
      const logouts = await ctx.container.prisma.auditEvent.findMany({ where: { type: "session.logout", targetId: { in: [phone.id, laptop.id] } } });
      expect(logouts).toHaveLength(2);
      expect(logouts.every((e) => e.actorId === user.id && (e.details as { reason: string }).reason === "password_changed")).toBe(true);
      const [changed] = await auditOf("user.password_changed", user.id);
      expect(changed).toMatchObject({ outcome: "success", details: { otherSessionsEnded: 2 } });
      expect(JSON.stringify(changed)).not.toContain("second-password-123");
    });

    it("with the option off, the other sessions stay", async () => {
      const user = await newUser("first-password-123");
      const current = await signIn(user);
      const other = await signIn(user);
      const outcome = await account().changePassword({ userId: user.id, sessionId: current.id }, form("first-password-123", "second-password-123", { signOutOthers: false }));
      expect(outcome).toEqual({ status: "changed", otherSessionsEnded: 0 });
      expect(await isLive(current)).toBe(true);
      expect(await isLive(other)).toBe(true);
    });

    it(`allows ${PASSWORD_CHANGE_MAX_ATTEMPTS} attempts per ${PASSWORD_CHANGE_WINDOW_SECONDS / 60} minutes and user`, async () => {
      const user = await newUser("first-password-123");
      const other = await newUser("other-password-123");
      const session = await signIn(user);
      const me = { userId: user.id, sessionId: session.id };
      for (let i = 0; i < PASSWORD_CHANGE_MAX_ATTEMPTS; i++) {
        expect(await account().changePassword(me, form(`guess-number-${i}-xyz`, "second-password-123"))).toEqual({ status: "invalid", errors: { current_password: "wrong" } });
      }
      // Even the right password is not checked now.
      const throttled = await account().changePassword(me, form("first-password-123", "second-password-123"));
      expect(throttled).toEqual({ status: "throttled", retryAfterSeconds: PASSWORD_CHANGE_WINDOW_SECONDS });
      expect((await ctx.container.passwordHasher.verify((await userRow(user)).passwordHash!, "first-password-123")).valid).toBe(true);
      // Another user is not affected.
      const otherSession = await signIn(other);
      expect((await account().changePassword({ userId: other.id, sessionId: otherSession.id }, form("other-password-123", "other-password-456"))).status).toBe("changed");

      ctx.clock.advance((PASSWORD_CHANGE_WINDOW_SECONDS - 60) * 1000);
      expect(await account().changePassword(me, form("first-password-123", "second-password-123"))).toEqual({ status: "throttled", retryAfterSeconds: 60 });
      ctx.clock.advance(60_000);
      expect(await account().changePassword(me, form("first-password-123", "second-password-123"))).toMatchObject({ status: "changed" });
      const reasons = (await auditOf("user.password_changed", user.id)).map((e) => (e.details as { reason?: string }).reason ?? e.outcome);
      expect(reasons).toEqual([...Array<string>(PASSWORD_CHANGE_MAX_ATTEMPTS).fill("wrong_current_password"), "throttled", "throttled", "success"]);
    });
  });

  // -------------------------------------------------------------------------------------------

  describe("sessions", () => {
    it("lists only the user's live sessions, the current one first, with device and address", async () => {
      const user = await newUser();
      const stranger = await newUser();
      const older = await signIn(user, SAFARI_IPHONE, "203.0.113.7");
      ctx.clock.advance(60_000);
      const current = await signIn(user, FIREFOX_LINUX, "198.51.100.1");
      ctx.clock.advance(60_000);
      const newest = await signIn(user);
      const ended = await signIn(user);
      await ctx.container.sessions.end(ended.id, "logout");
      const expired = await signIn(user);
      await ctx.container.prisma.session.update({ where: { id: expired.id }, data: { expiresAt: ctx.clock.now() } });
      const idle = await signIn(user);
      await ctx.container.prisma.session.update({ where: { id: idle.id }, data: { idleExpiresAt: new Date(ctx.clock.nowMs() - 1) } });
      await signIn(stranger, FIREFOX_LINUX);

      const list = await account().activeSessions(user.id, current.id);
      expect(list.map((s) => s.id)).toEqual([current.id, newest.id, older.id]);
      expect(list[0]).toMatchObject({ current: true, device: { browser: "Firefox", os: "Linux", kind: "desktop" }, ipAddress: "198.51.100.1" });
      expect(list[1]).toMatchObject({ current: false, device: { browser: null, os: null, kind: "unknown" }, ipAddress: null });
      expect(list[2]).toMatchObject({ current: false, device: { browser: "Safari", os: "iOS", kind: "mobile" }, ipAddress: "203.0.113.7", signedInAt: older.authTime });
      expect(await account().countActiveSessions(user.id)).toBe(3);

      // Idle expiry: once the idle lifetime passes without use, the session drops off the list.
      ctx.clock.advance(ctx.config.session.idleSeconds * 1000);
      expect(await account().activeSessions(user.id, current.id)).toEqual([]);
    });

    it("ends one of the user's own sessions at once; another user's session id is refused", async () => {
      const user = await newUser();
      const stranger = await newUser();
      const current = await signIn(user);
      const laptop = await signIn(user, FIREFOX_LINUX);
      const theirs = await signIn(stranger);
      const laptopBrowser = new Browser();
      laptopBrowser.absorb(await ctx.container.sessions.setCookieHeaders(laptop));
      const request = () => new Request("http://localhost:3000/account", { headers: { cookie: laptopBrowser.header()! } });
      expect(await ctx.container.sessions.fromRequest(request())).not.toBeNull();

      expect(await account().endSession(user.id, theirs.id)).toBe(false);
      expect(await account().endSession(user.id, "no-such-session")).toBe(false);
      expect(await isLive(theirs)).toBe(true);
      expect(await ctx.container.prisma.auditEvent.count({ where: { type: "session.logout", targetId: theirs.id } })).toBe(0);

      expect(await account().endSession(user.id, laptop.id, { ipAddress: "198.51.100.9" })).toBe(true);
      // The other browser's very next request finds no session.
      expect(await ctx.container.sessions.fromRequest(request())).toBeNull();
      expect(await sessionRow(laptop)).toMatchObject({ endReason: "ended_by_user" });
      expect(await isLive(current)).toBe(true);
      const [event] = await ctx.container.prisma.auditEvent.findMany({ where: { type: "session.logout", targetId: laptop.id } });
      expect(event).toMatchObject({ actorType: "user", actorId: user.id, ipAddress: "198.51.100.9" });
      // Ending it again does nothing.
      expect(await account().endSession(user.id, laptop.id)).toBe(false);
    });

    it("sign out everywhere ends every session of the user, the current one included", async () => {
      const user = await newUser();
      const stranger = await newUser();
      const sessions = [await signIn(user), await signIn(user), await signIn(user)];
      const theirs = await signIn(stranger);
      const issued = await tokens("web", user, sessions[1]!);
      expect(await account().endAllSessions(user.id)).toBe(3);
      for (const session of sessions) {
        expect(await isLive(session)).toBe(false);
        expect((await sessionRow(session)).endReason).toBe("logout_everywhere");
      }
      expect(await isLive(theirs)).toBe(true);
      expect(await refreshWorks("web", issued.refresh_token!)).toBe(false);
      expect(await account().activeSessions(user.id, sessions[0]!.id)).toEqual([]);
    });

    it("sign out ends this browser's session", async () => {
      const user = await newUser();
      const session = await signIn(user);
      const other = await signIn(user);
      await account().signOut(session.id);
      expect(await sessionRow(session)).toMatchObject({ endReason: "user_logout" });
      expect(await isLive(other)).toBe(true);
    });
  });

  // -------------------------------------------------------------------------------------------

  describe("applications with access", () => {
    function authorizationRequest(client: Client, scopes: string[]): AuthorizationRequest {
      return {
        clientId: client.clientId,
        redirectUri: client.redirectUris[0]!,
        redirectUriParam: client.redirectUris[0]!,
        responseMode: "query",
        scopes,
        resources: [],
        codeChallenge: pkcePair().challenge,
        codeChallengeMethod: "S256",
      };
    }

    it("lists the active grants with their scopes, newest first", async () => {
      const user = await newUser();
      await ctx.container.grants.allow(user.id, clients.web!.id, ["openid", "profile"], ["birthdate"]);
      ctx.clock.advance(1000);
      await ctx.container.grants.allow(user.id, clients.other!.id, ["openid"]);
      await ctx.container.grants.allow(user.id, clients.other!.id, ["email"]);
      const apps = await account().applications(user.id);
      expect(apps.map((a) => a.name)).toEqual(["other app", "web app"]);
      expect(apps[0]!.scopes.map((s) => s.name)).toEqual(["openid", "email"]);
      expect(apps[1]).toMatchObject({ clientRowId: clients.web!.id, clientId: clients.web!.clientId, claims: ["birthdate"] });
      expect(apps[1]!.scopes[1]).toMatchObject({ name: "profile", description: expect.any(String) });
      expect(await account().countApplications(user.id)).toBe(2);
      expect(await account().applications((await newUser()).id)).toEqual([]);
    });

    it("revoke access: grant revoked, consent record, the client's tokens revoked, consent asked again", async () => {
      const user = await newUser();
      const bystander = await newUser();
      const session = await signIn(user);
      const scopes = ["openid", "profile", "offline_access"];
      await ctx.container.grants.allow(user.id, clients.web!.id, scopes);
      await ctx.container.grants.allow(user.id, clients.other!.id, scopes);
      await ctx.container.grants.allow(bystander.id, clients.web!.id, scopes);
      const next = () => ctx.container.interactions.nextPrompt(clients.web!, authorizationRequest(clients.web!, ["openid", "profile"]), session);
      expect(await next()).toEqual({ kind: "code" });

      // Two refresh token families of "web" (one rotated once), an access token without a refresh
      // token, and a code not redeemed yet; the same user's "other" tokens; the bystander's "web" tokens.
      const first = await tokens("web", user, session);
      const second = await tokens("web", user, null);
      const rotated = await token("web", { grant_type: "refresh_token", refresh_token: second.refresh_token! });
      const secondRotated = (await rotated.json()) as { refresh_token: string; access_token: string };
      const accessOnly = await tokens("web", user, session, ["openid", "profile"]);
      expect(accessOnly.refresh_token).toBeUndefined();
      const { verifier, challenge } = pkcePair();
      const pendingCode = await storeAuthorizationCode(ctx.container, { clientRowId: clients.web!.id, userId: user.id, challenge, redirectUri: clients.web!.redirectUris[0]!, scopes });
      const otherClient = await tokens("other", user, session);
      const bystanders = await tokens("web", bystander, null);

      ctx.clock.advance(1000);
      expect(await account().withdrawConsent(user.id, clients.web!.id, { ipAddress: "198.51.100.3" })).toBe(true);

      const grant = await ctx.container.prisma.grant.findFirstOrThrow({ where: { userId: user.id, clientId: clients.web!.id } });
      expect(grant.revokedAt).toEqual(ctx.clock.now());
      expect(await ctx.container.grants.findActive(user.id, clients.web!.id)).toBeNull();
      const records = await ctx.container.prisma.consentRecord.findMany({ where: { userId: user.id, clientId: clients.web!.id }, orderBy: { createdAt: "asc" } });
      expect(records.map((r) => r.action)).toEqual(["granted", "withdrawn"]);
      expect(records[1]).toMatchObject({ grantId: grant.id, scopes, createdAt: ctx.clock.now() });

      // Every refresh token of the user for "web": revoked, and refused by the token endpoint.
      const refreshRows = await ctx.container.prisma.refreshToken.findMany({ where: { userId: user.id, clientId: clients.web!.id } });
      expect(refreshRows.length).toBe(3);
      expect(refreshRows.every((r) => r.revokedAt !== null && r.revokedReason === "consent_withdrawn")).toBe(true);
      expect(await refreshWorks("web", first.refresh_token!)).toBe(false);
      expect(await refreshWorks("web", secondRotated.refresh_token)).toBe(false);
      // Their access tokens, and the one issued without a refresh token: revoked (introspection's list).
      const accessRows = await ctx.container.prisma.accessToken.findMany({ where: { userId: user.id, clientId: clients.web!.id } });
      expect(accessRows.length).toBe(4);
      expect(accessRows.every((r) => r.revokedAt !== null)).toBe(true);
      for (const row of accessRows) expect(await ctx.container.revocations.isRevoked(row.jti)).toBe(true);
      // The code not yet redeemed no longer gives tokens.
      const late = await token("web", { grant_type: "authorization_code", code: pendingCode, code_verifier: verifier, redirect_uri: clients.web!.redirectUris[0]! });
      expect(late.status).toBe(400);
      expect((await ctx.container.prisma.authorizationCode.findUniqueOrThrow({ where: { codeHash: hashSecret(pendingCode) } })).expiresAt).toEqual(ctx.clock.now());

      // Other clients' tokens and other users' tokens are untouched.
      expect(await refreshWorks("other", otherClient.refresh_token!)).toBe(true);
      expect(await refreshWorks("web", bystanders.refresh_token!)).toBe(true);
      expect(await ctx.container.grants.findActive(bystander.id, clients.web!.id)).not.toBeNull();
      expect(await ctx.container.grants.findActive(user.id, clients.other!.id)).not.toBeNull();
      expect(await isLive(session)).toBe(true);

      const [event] = await auditOf("consent.withdrawn", user.id);
      expect(event).toMatchObject({ targetType: "client", targetId: clients.web!.clientId, ipAddress: "198.51.100.3", details: { scopes, revokedFamilies: 2, revokedAccess: 4 } });

      // The next authorization request from that client asks for consent again.
      expect(await next()).toEqual({ kind: "interaction", prompt: "consent" });
      expect((await account().applications(user.id)).map((a) => a.clientRowId)).toEqual([clients.other!.id]);
      // Nothing left to withdraw.
      expect(await account().withdrawConsent(user.id, clients.web!.id)).toBe(false);
      expect(await account().withdrawConsent(user.id, "00000000-0000-0000-0000-000000000000")).toBe(false);
      expect(await auditOf("consent.withdrawn", user.id)).toHaveLength(1);
      expect(await ctx.container.prisma.consentRecord.count({ where: { userId: user.id, action: "withdrawn" } })).toBe(1);

      // Consenting again starts a new grant with just what is allowed now.
      await ctx.container.grants.allow(user.id, clients.web!.id, ["openid"]);
      expect(await next()).toEqual({ kind: "interaction", prompt: "consent" });
    });
  });
});
