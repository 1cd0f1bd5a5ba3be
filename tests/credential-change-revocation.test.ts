// "I think my password was stolen": after a password reset or change, nothing obtained before it
// still works, whatever the session it came from (ended, expired, none) or the client's logout
// setting; after a logout, the access tokens issued in that session are dead too.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "../lib/generated/prisma/client";
import { UserTokenService } from "../lib/identity/email-link-tokens";
import { runStartupTasks } from "../lib/server/first-start";
import { basic, call, pkcePair, storeAuthorizationCode } from "./support/oauth";
import { createTestContainer, databaseKind, type TestContext } from "./support/test-env";

const REDIRECT = "https://app.example.com/callback";
const PASSWORD = "user-password-123";
const NEW_PASSWORD = "a brand new passphrase 42";

type Issued = { access_token: string; refresh_token?: string; owner: { client: Client; secret: string } };

describe(`tokens after a password reset, a password change and a logout (${databaseKind})`, () => {
  let ctx: TestContext;
  /** Default client: revokes refresh tokens on logout. */
  let keeps: { client: Client; secret: string };
  /** A client that asked to keep its refresh tokens at logout (revokeRefreshTokensOnLogout: false). */
  let offline: { client: Client; secret: string };

  beforeAll(async () => {
    ctx = await createTestContainer({ env: { AUTHLY_RATE_LIMIT_PER_IP: "0", AUTHLY_RATE_LIMIT_PER_CLIENT: "0" } });
    await runStartupTasks(ctx.container);
    await ctx.container.scopes.create({ name: "api" });
    const make = async (name: string, extra: Record<string, unknown> = {}) => {
      const made = await ctx.container.clients.create({
        name,
        type: "confidential",
        grantTypes: ["authorization_code", "refresh_token"],
        redirectUris: [REDIRECT],
        scopes: ["openid", "offline_access", "api"],
        ...extra,
      });
      return { client: made.client, secret: made.clientSecret! };
    };
    keeps = await make("Web");
    offline = await make("Offline sync", { revokeRefreshTokensOnLogout: false });
  });
  afterAll(() => ctx.cleanup());

  const auth = (c: { client: Client; secret: string }) => ({ authorization: basic(c.client.clientId, c.secret) });

  /** Tokens for `userId` from a code exchange, in `sessionId` (or none); with or without a refresh token. */
  async function obtain(c: { client: Client; secret: string }, userId: string, options: { sessionId?: string; refresh: boolean }): Promise<Issued> {
    const { verifier, challenge } = pkcePair();
    const scopes = options.refresh ? ["openid", "offline_access", "api"] : ["openid", "api"];
    const code = await storeAuthorizationCode(ctx.container, { clientRowId: c.client.id, userId, challenge, redirectUri: REDIRECT, scopes, sessionId: options.sessionId });
    const res = await call(ctx.container, "/oauth/token", { form: { grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT }, headers: auth(c) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Issued;
    expect(body.refresh_token !== undefined).toBe(options.refresh);
    return { ...body, owner: c };
  }

  /** RFC 7662 introspection by the token's own client. */
  const active = (t: Issued) => activeFor(t.owner, t.access_token);
  const activeFor = async (c: { client: Client; secret: string }, token: string) =>
    ((await (await call(ctx.container, "/oauth/introspect", { form: { token }, headers: auth(c) })).json()) as { active: boolean }).active;
  const refreshes = async (c: { client: Client; secret: string }, token: string) =>
    (await call(ctx.container, "/oauth/token", { form: { grant_type: "refresh_token", refresh_token: token }, headers: auth(c) })).status === 200;

  /** Every kind of token a user can hold: live, expired and ended sessions, no session, both clients. */
  async function everything(userId: string) {
    const live = await ctx.container.sessions.start({ userId });
    const ended = await ctx.container.sessions.start({ userId });
    const expired = await ctx.container.sessions.start({ userId });
    const held = {
      liveKeeps: await obtain(keeps, userId, { sessionId: live.id, refresh: true }),
      liveOffline: await obtain(offline, userId, { sessionId: live.id, refresh: true }),
      accessOnly: await obtain(keeps, userId, { sessionId: live.id, refresh: false }),
      endedOffline: await obtain(offline, userId, { sessionId: ended.id, refresh: true }),
      expiredOffline: await obtain(offline, userId, { sessionId: expired.id, refresh: true }),
      noSession: await obtain(offline, userId, { refresh: true }),
      noSessionAccessOnly: await obtain(keeps, userId, { refresh: false }),
    };
    await ctx.container.sessions.end(ended.id, "test");
    await ctx.container.prisma.session.update({ where: { id: expired.id }, data: { expiresAt: new Date(ctx.clock.nowMs() - 1000), idleExpiresAt: new Date(ctx.clock.nowMs() - 1000) } });
    for (const t of Object.values(held)) expect(await active(t)).toBe(true);
    return { held, live };
  }

  async function expectAllDead(held: Record<string, Issued>) {
    for (const [name, t] of Object.entries(held)) {
      expect({ name, active: await active(t) }).toEqual({ name, active: false });
      if (t.refresh_token) {
        expect({ name, refresh: await activeFor(t.owner, t.refresh_token) }).toEqual({ name, refresh: false });
        expect({ name, refreshes: await refreshes(t.owner, t.refresh_token) }).toEqual({ name, refreshes: false });
      }
    }
  }

  it("a password reset revokes every refresh-token family and every live access token of the user", async () => {
    const user = await ctx.container.users.create({ email: "reset@example.com", password: PASSWORD });
    const { held } = await everything(user.id);
    const bystander = await ctx.container.users.create({ email: "bystander-reset@example.com", password: PASSWORD });
    const other = await obtain(offline, bystander.id, { refresh: true });

    const { token } = await new UserTokenService({ prisma: ctx.container.prisma, clock: ctx.clock, tenantId: "default" }).issue(user.id, "reset_password");
    expect((await ctx.container.passwordReset.resetPassword({ token, password: NEW_PASSWORD, confirmation: NEW_PASSWORD }, {})).status).toBe("done");

    await expectAllDead(held);
    // Another user's tokens are untouched.
    expect(await active(other)).toBe(true);
    expect(await refreshes(offline, other.refresh_token!)).toBe(true);
  });

  it("a password change revokes every refresh-token family and every live access token of the user", async () => {
    const user = await ctx.container.users.create({ email: "change@example.com", password: PASSWORD });
    const { held, live } = await everything(user.id);
    const outcome = await ctx.container.account.changePassword({ userId: user.id, sessionId: live.id }, { current_password: PASSWORD, new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD });
    expect(outcome.status).toBe("changed");
    await expectAllDead(held);
  });

  it("a logout revokes the access tokens issued in that session, also those without a refresh token and those of clients that keep refresh tokens", async () => {
    const user = await ctx.container.users.create({ email: "logout@example.com", password: PASSWORD });
    const session = await ctx.container.sessions.start({ userId: user.id });
    const other = await ctx.container.sessions.start({ userId: user.id });
    const accessOnly = await obtain(keeps, user.id, { sessionId: session.id, refresh: false });
    const withRefresh = await obtain(keeps, user.id, { sessionId: session.id, refresh: true });
    const keptRefresh = await obtain(offline, user.id, { sessionId: session.id, refresh: true });
    const otherSession = await obtain(keeps, user.id, { sessionId: other.id, refresh: false });

    expect((await ctx.container.logout.endSession(session.id, { reason: "logout" })).ended).toBe(true);

    expect(await active(accessOnly)).toBe(false);
    expect(await active(withRefresh)).toBe(false);
    expect(await refreshes(keeps, withRefresh.refresh_token!)).toBe(false);
    // The client asked to keep its refresh token across logouts: the refresh token lives on, the
    // access token issued in the ended session does not.
    expect(await active(keptRefresh)).toBe(false);
    expect(await refreshes(offline, keptRefresh.refresh_token!)).toBe(true);
    // Another session's tokens are untouched.
    expect(await active(otherSession)).toBe(true);
  });
});
