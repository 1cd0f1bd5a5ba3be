import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliCaptured } from "../lib/cli/run";
import { runStartupTasks } from "../lib/server/first-start";
import { ValidationError } from "../lib/server/errors";
import { createTestContainer, databaseKind, type TestContext, sharedDeployment } from "./support/test-env";

describe(`tenant settings: branding and self-registration (${databaseKind})`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContainer();
    await runStartupTasks(ctx.container);
  });
  afterAll(() => ctx.cleanup());

  const cli = (...argv: string[]) => runCliCaptured(argv, ctx.container);

  it("defaults: Authly's name, logo and colour; registration off", async () => {
    expect(await ctx.container.tenantSettings.get()).toEqual({ productName: null, logoUri: null, accentColor: null, registrationEnabled: false });
  });

  it("authly tenant set changes them, validates them, and --reset returns to the defaults", async () => {
    const set = await cli("tenant", "set", "--product-name", "Acme ID", "--logo-uri", "https://cdn.acme.example/logo.svg", "--accent-color", "#0F766E", "--registration", "on", "--json");
    expect(set.stderr).toBe("");
    expect(set.exitCode).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({ productName: "Acme ID", logoUri: "https://cdn.acme.example/logo.svg", accentColor: "#0f766e", registrationEnabled: true });
    expect(await ctx.container.tenantSettings.get()).toMatchObject({ productName: "Acme ID", registrationEnabled: true });
    expect((await cli("tenant", "show")).stdout).toMatch(/self-registration\s+on/);

    for (const bad of [["--accent-color", "red"], ["--logo-uri", "javascript:alert(1)"], ["--logo-uri", "http://cdn.example/logo.png"], ["--registration", "maybe"]]) {
      const refused = await cli("tenant", "set", ...bad);
      expect(refused.exitCode, bad.join(" ")).not.toBe(0);
    }
    expect((await cli("tenant", "set")).exitCode).toBe(2);

    const reset = await cli("tenant", "set", "--reset", "name,logo,accent", "--registration", "off", "--json");
    expect(JSON.parse(reset.stdout)).toEqual({ productName: null, logoUri: null, accentColor: null, registrationEnabled: false });
    const events = await ctx.container.audit.list({ type: "tenant.settings_updated" });
    expect(events.length).toBeGreaterThanOrEqual(2);
  });

  it("the service refuses bad values with a validation error and accepts a same-origin logo path", async () => {
    await expect(ctx.container.tenantSettings.update({ accentColor: "#12345" })).rejects.toBeInstanceOf(ValidationError);
    await expect(ctx.container.tenantSettings.update({ productName: "x".repeat(81) })).rejects.toBeInstanceOf(ValidationError);
    await expect(ctx.container.tenantSettings.update({ logoUri: "//evil.example/logo.png" })).rejects.toBeInstanceOf(ValidationError);
    expect((await ctx.container.tenantSettings.update({ logoUri: "/brand/logo.svg" })).logoUri).toBe("/brand/logo.svg");
  });

  it.runIf(databaseKind === "postgres")("a second instance on the same PostgreSQL + Redis sees a change at once (pub/sub invalidation)", async () => {
    const { make, dispose } = sharedDeployment();
    const a = await make();
    const b = await make();
    try {
      await runStartupTasks(a.container);
      await b.container.tenantSettings.startListening();
      expect((await b.container.tenantSettings.get()).productName).toBeNull(); // b now holds a copy
      await a.container.tenantSettings.update({ productName: "Shared" });
      await expect.poll(async () => (await b.container.tenantSettings.get()).productName, { timeout: 5000 }).toBe("Shared");
    } finally {
      await a.container.close();
      await b.container.close();
      dispose();
    }
  });
});
