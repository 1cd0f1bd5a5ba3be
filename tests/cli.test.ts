import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliCaptured } from "../lib/cli/run";
import { runStartupTasks } from "../lib/server/first-start";
import { createTestContainer, databaseKind, type TestContext } from "./support/test-env";

describe(`CLI commands (${databaseKind})`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContainer();
    await runStartupTasks(ctx.container);
  });
  afterAll(() => ctx.cleanup());

  async function cli(...argv: string[]) {
    const { exitCode, stdout, stderr } = await runCliCaptured(argv, ctx.container);
    return { code: exitCode, stdout, stderr };
  }

  it("clients create --json prints client_id and a one-time client_secret; clients list shows it", async () => {
    const created = await cli(
      "clients", "create", "--name", "Shop", "--type", "confidential",
      "--redirect-uri", "https://shop.example.com/cb", "--redirect-uri", "https://shop.example.com/cb2",
      "--grant-types", "authorization_code,refresh_token", "--scopes", "openid profile email", "--json",
    );
    expect(created.code).toBe(0);
    const body = JSON.parse(created.stdout) as Record<string, unknown>;
    expect(body).toMatchObject({
      client_name: "Shop",
      redirect_uris: ["https://shop.example.com/cb", "https://shop.example.com/cb2"],
      grant_types: ["authorization_code", "refresh_token"],
      scope: "openid profile email",
      token_endpoint_auth_method: "client_secret_basic",
    });
    expect(body.client_id).toEqual(expect.any(String));
    expect(body.client_secret).toEqual(expect.any(String));

    const listed = await cli("clients", "list", "--json");
    const clients = JSON.parse(listed.stdout) as Record<string, unknown>[];
    const shop = clients.find((c) => c.client_id === body.client_id);
    expect(shop).toBeDefined();
    expect(shop).not.toHaveProperty("client_secret");
    expect((await cli("clients", "list")).stdout).toContain(String(body.client_id));
  });

  it("clients create takes the OpenID Connect metadata (pairwise, ID token alg, logout URIs) and refuses bad values", async () => {
    const created = await cli(
      "clients", "create", "--name", "RP", "--type", "confidential", "--redirect-uri", "https://rp.example.com/cb",
      "--post-logout-redirect-uri", "https://rp.example.com/bye", "--grant-types", "authorization_code", "--scopes", "openid",
      "--pairwise", "--id-token-alg", "EdDSA", "--default-max-age", "600", "--require-auth-time",
      "--frontchannel-logout-uri", "https://rp.example.com/fc", "--backchannel-logout-uri", "https://rp.example.com/bc",
      "--backchannel-logout-session-required", "--policy-uri", "https://rp.example.com/privacy", "--json",
    );
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({
      subject_type: "pairwise",
      id_token_signed_response_alg: "EdDSA",
      default_max_age: 600,
      require_auth_time: true,
      post_logout_redirect_uris: ["https://rp.example.com/bye"],
      frontchannel_logout_uri: "https://rp.example.com/fc",
      frontchannel_logout_session_required: false,
      backchannel_logout_uri: "https://rp.example.com/bc",
      backchannel_logout_session_required: true,
      revoke_refresh_tokens_on_logout: true,
      policy_uri: "https://rp.example.com/privacy",
    });
    // Front-Channel Logout 1.0 §2: same scheme, host and port as a redirect URI.
    const foreign = await cli(
      "clients", "create", "--name", "Bad", "--type", "confidential", "--redirect-uri", "https://rp.example.com/cb",
      "--grant-types", "authorization_code", "--frontchannel-logout-uri", "https://elsewhere.example.com/fc",
    );
    expect(foreign.code).not.toBe(0);
    expect(foreign.stderr).toMatch(/frontchannelLogoutUri/);
    // Back-Channel Logout 1.0 §2.2: no fragment; plain http only for loopback.
    const insecure = await cli(
      "clients", "create", "--name", "Bad", "--type", "confidential", "--redirect-uri", "https://rp.example.com/cb",
      "--grant-types", "authorization_code", "--backchannel-logout-uri", "http://rp.example.com/bc",
    );
    expect(insecure.code).not.toBe(0);
    expect(insecure.stderr).toMatch(/backchannelLogoutUri/);
  });

  it("clients create for a public client with --auth-method none has no secret", async () => {
    const created = await cli("clients", "create", "--name", "SPA", "--type", "public", "--redirect-uri", "https://spa.example.com/cb", "--grant-types", "authorization_code", "--scopes", "openid", "--auth-method", "none", "--json");
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).not.toHaveProperty("client_secret");
  });

  it("users create and users list", async () => {
    const created = await cli("users", "create", "--email", "carol@example.com", "--password", "carol-password-1", "--name", "Carol", "--admin", "--json");
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ email: "carol@example.com", name: "Carol", roles: ["admin"] });
    const listed = await cli("users", "list");
    expect(listed.stdout).toMatch(/carol@example\.com\s+Carol\s+admin/);
    const duplicate = await cli("users", "create", "--email", "carol@example.com", "--password", "carol-password-1");
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain("exists already");
  });

  it("users create without --password generates one and prints it once", async () => {
    const created = await cli("users", "create", "--email", "dave@example.com", "--json");
    const password = (JSON.parse(created.stdout) as { password: string }).password;
    expect((await ctx.container.users.verifyPassword("dave@example.com", password)).user).not.toBeNull();
  });

  it("keys rotate rotates every algorithm", async () => {
    const rotated = await cli("keys", "rotate", "--json");
    expect(rotated.code).toBe(0);
    expect((JSON.parse(rotated.stdout) as { alg: string }[]).map((r) => r.alg)).toEqual(["RS256", "ES256", "EdDSA"]);
    const listed = JSON.parse((await cli("keys", "list", "--json")).stdout) as { status: string }[];
    expect(listed.filter((k) => k.status === "retired")).toHaveLength(3);
  });

  it.each([
    [["nonsense"], /unknown command "nonsense"/],
    [["clients", "create", "--name", "X"], /--type is required/],
    [["clients", "create", "--name", "X", "--type", "secret", "--grant-types", "client_credentials"], /--type must be/],
    [["clients", "create", "--name", "X", "--type", "public", "--grant-types", "authorization_code", "--redirect-uri", "ftp://x"], /redirectUris/],
    [["clients", "create", "--name", "X", "--type", "confidential", "--grant-types", "client_credentials", "--scopes", "bogus"], /unknown scope/],
    [["users", "create", "--email", "nope"], /not a valid email/],
    [["users", "create", "--email", "e@example.com", "--password", "short"], /at least 12 characters/],
    [["users", "create", "--emial", "x@example.com"], /Unknown option '--emial'/],
    [["keys", "rotate", "--alg", "HS256"], /--alg must be one of/],
  ])("invalid arguments %j exit with code 2 and a clear message", async (argv, message) => {
    const result = await cli(...argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe("");
  });

  it("users list shows a sign-in lockout; users unlock lifts it", async () => {
    await cli("users", "create", "--email", "erin@example.com", "--password", "erin-password-1");
    const meta = { ipAddress: "192.0.2.77" };
    // Wrong passwords until the account locks (waiting out each progressive delay).
    for (let i = 0; i < 30; i++) {
      const answer = await ctx.container.passwordLogin.authenticate("erin@example.com", "wrong-password", meta);
      if (answer.status === "throttled" && answer.locked) break;
      if (answer.status === "throttled") ctx.clock.advance(answer.retryAfterSeconds * 1000);
    }
    expect(await ctx.container.passwordLogin.authenticate("erin@example.com", "erin-password-1", meta)).toMatchObject({ status: "throttled", locked: true });
    const lockedUntil = new Date(ctx.clock.nowMs() + ctx.config.loginThrottle.lockoutSeconds * 1000).toISOString();
    expect((await cli("users", "list")).stdout).toMatch(new RegExp(`erin@example\\.com\\s.*\\s${lockedUntil.replace(/\./g, "\\.")}`));
    const listed = JSON.parse((await cli("users", "list", "--json")).stdout) as { email: string; locked_until?: string; failed_login_count?: number }[];
    expect(listed.find((u) => u.email === "erin@example.com")).toMatchObject({ locked_until: lockedUntil, failed_login_count: 10 });
    expect(listed.find((u) => u.email === "carol@example.com")).not.toHaveProperty("locked_until");

    const unlocked = await cli("users", "unlock", "--email", "Erin@Example.com", "--json");
    expect(unlocked.code).toBe(0);
    const body = JSON.parse(unlocked.stdout) as Record<string, unknown>;
    expect(body).toMatchObject({ email: "erin@example.com", was_locked: true });
    expect(body).not.toHaveProperty("locked_until");
    expect((await ctx.container.audit.list({ type: "user.unlocked" }))[0]).toMatchObject({ actorType: "cli", targetId: body.id });
    expect(await ctx.container.passwordLogin.authenticate("erin@example.com", "erin-password-1", meta)).toMatchObject({ status: "ok" });
    expect((await cli("users", "unlock", "--email", "erin@example.com")).stdout).toContain("was not locked");

    const unknown = await cli("users", "unlock", "--email", "nobody@example.com");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no user with the email nobody@example.com");
  });

  it.each([
    [["users", "unlock"], /--email is required/],
    [["users", "unlock", "--email", "nope"], /not a valid email/],
    [["users", "lock", "--email", "e@example.com"], /unknown users command "lock"/],
  ])("users unlock with invalid arguments %j exits with code 2", async (argv, message) => {
    const result = await cli(...argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
