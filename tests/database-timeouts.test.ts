// A database that stops answering (paused, partitioned, a lock held elsewhere) makes requests end
// with 503 and Retry-After after the configured timeout: never a hang, never a 500. When the
// database answers again, so does Authly. PostgreSQL only: the embedded database runs in process.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isDatabaseUnavailable } from "../lib/db/availability";
import { openPostgres } from "../lib/db/postgres";
import { runStartupTasks } from "../lib/server/first-start";
import { basic, call, pkcePair, storeAuthorizationCode } from "./support/oauth";
import { startPausableProxy, type PausableProxy } from "./support/pausable-proxy";
import { POSTGRES_TEST_URL } from "./support/paths";
import { createTestContainer, databaseKind, freshDatabase, type TestContext } from "./support/test-env";

const REDIRECT = "https://app.example.com/callback";
/** Short timeouts keep the test quick; production defaults to 10 s (AUTHLY_DATABASE_TIMEOUT_SECONDS). */
const QUERY_TIMEOUT_MS = 500;

describe.runIf(databaseKind === "postgres")("a database that stops answering (postgres)", () => {
  let proxy: PausableProxy;
  let ctx: TestContext;
  let url: string;
  let web: { clientId: string; rowId: string; secret: string };
  let userId: string;

  beforeAll(async () => {
    const target = freshDatabase();
    // Migrate directly, then reach the database only through the proxy.
    await (await target.open()).close();
    proxy = await startPausableProxy(Number(new URL(POSTGRES_TEST_URL).port || 5432));
    const direct = new URL(target.env.DATABASE_URL!);
    direct.host = `127.0.0.1:${proxy.port}`;
    url = direct.toString();
    ctx = await createTestContainer({
      target: { ...target, open: () => openPostgres(url, { queryTimeoutMs: QUERY_TIMEOUT_MS, connectTimeoutMs: QUERY_TIMEOUT_MS }) },
      env: { AUTHLY_RATE_LIMIT_PER_IP: "0", AUTHLY_RATE_LIMIT_PER_CLIENT: "0" },
    });
    await runStartupTasks(ctx.container);
    const made = await ctx.container.clients.create({
      name: "Web",
      type: "confidential",
      grantTypes: ["authorization_code", "refresh_token"],
      redirectUris: [REDIRECT],
      scopes: ["openid", "offline_access"],
    });
    web = { clientId: made.client.clientId, rowId: made.client.id, secret: made.clientSecret! };
    userId = (await ctx.container.users.create({ email: "paused@example.com", password: "user-password-123" })).id;
  });
  afterAll(async () => {
    proxy?.resume();
    await ctx?.cleanup();
    await proxy?.close();
  });

  const exchange = async () => {
    const { verifier, challenge } = pkcePair();
    const code = await storeAuthorizationCode(ctx.container, { clientRowId: web.rowId, userId, challenge, redirectUri: REDIRECT, scopes: ["openid", "offline_access"] });
    return () =>
      call(ctx.container, "/oauth/token", {
        form: { grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT },
        headers: { authorization: basic(web.clientId, web.secret) },
      });
  };

  it("paused: the token and authorization endpoints answer 503 with Retry-After, sign-in fails as unavailable; resumed: all work again", async () => {
    const redeem = await exchange();
    proxy.pause();
    try {
      const token = await redeem();
      expect(token.status).toBe(503);
      expect(token.headers.get("retry-after")).toBe("5");
      expect(await token.json()).toMatchObject({ error: "temporarily_unavailable" });

      // An unknown client id is looked up in the database: the lookup times out.
      const authorize = await call(ctx.container, `/oauth/authorize?client_id=not-cached-${Date.now()}&response_type=code&redirect_uri=${encodeURIComponent(REDIRECT)}`);
      expect(authorize.status).toBe(503);
      expect(authorize.headers.get("retry-after")).toBe("5");

      // The sign-in form's service: the failure is recognisably "database unavailable" (the form
      // shows "try again shortly"), after the timeout rather than never.
      const failure = await ctx.container.passwordLogin.authenticate("paused@example.com", "user-password-123", { ipAddress: "127.0.0.1" }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isDatabaseUnavailable(failure)).toBe(true);
    } finally {
      proxy.resume();
    }
    // The timed-out connections were dropped; fresh ones work.
    const again = await (await exchange())();
    expect(again.status).toBe(200);
    const outcome = await ctx.container.passwordLogin.authenticate("paused@example.com", "user-password-123", { ipAddress: "127.0.0.1" });
    expect(outcome.status).toBe("ok");
  });

  it("a row locked elsewhere past the statement timeout: 503 (SQLSTATE 57014), and the code is still redeemable afterwards", async () => {
    const redeem = await exchange();
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      const schema = new URL(url).searchParams.get("schema")!;
      await holder.query("BEGIN");
      await holder.query(`SELECT 1 FROM "${schema}"."AuthorizationCode" WHERE "clientId" = $1 FOR UPDATE`, [web.rowId]);
      const blocked = await redeem();
      expect(blocked.status).toBe(503);
      expect(await blocked.json()).toMatchObject({ error: "temporarily_unavailable" });
      await holder.query("ROLLBACK");
    } finally {
      await holder.end();
    }
    // Nothing was consumed by the cancelled attempt.
    const redeemed = await redeem();
    expect(redeemed.status).toBe(200);
  });
});
