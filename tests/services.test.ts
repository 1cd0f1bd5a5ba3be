import bcrypt from "bcryptjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConflictError, ValidationError } from "../lib/server/errors";
import { runStartupTasks } from "../lib/server/first-start";
import { hashSecret } from "../lib/security/secrets";
import { createTestContainer, databaseKind, type TestContext } from "./support/test-env";

describe(`users, clients and keys (${databaseKind})`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContainer({ env: { AUTHLY_ADMIN_EMAIL: "admin@example.com", AUTHLY_ADMIN_PASSWORD: "admin-password-123" } });
    await runStartupTasks(ctx.container);
  });
  afterAll(() => ctx.cleanup());

  describe("users", () => {
    it("creates a user with a normalized email and an argon2id hash, and audits it", async () => {
      const user = await ctx.container.users.create({ email: "  Alice@Example.COM ", password: "alice-password-1", name: "Alice" });
      expect(user.email).toBe("alice@example.com");
      expect(user.passwordHash).toMatch(/^\$argon2id\$/);
      expect(user.tenantId).toBe("default");
      const events = await ctx.container.audit.list({ type: "user.created" });
      expect(events.some((e) => e.targetId === user.id)).toBe(true);
      expect(JSON.stringify(events)).not.toContain("alice-password-1");
    });

    it("rejects a duplicate email (any case) with a conflict", async () => {
      await expect(ctx.container.users.create({ email: "ALICE@example.com", password: "another-password" })).rejects.toBeInstanceOf(ConflictError);
    });

    it("rejects an invalid email and a short password with field-named errors", async () => {
      const error = await ctx.container.users.create({ email: "not-an-email", password: "short" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues.map((i) => i.field).sort()).toEqual(["email", "password"]);
    });

    it("verifies passwords; wrong passwords and unknown users fail", async () => {
      expect((await ctx.container.users.verifyPassword("alice@example.com", "alice-password-1")).user?.email).toBe("alice@example.com");
      expect((await ctx.container.users.verifyPassword("alice@example.com", "wrong-password")).user).toBeNull();
      expect((await ctx.container.users.verifyPassword("nobody@example.com", "alice-password-1")).user).toBeNull();
    });

    it("accepts a legacy bcrypt hash and replaces it with argon2id on the next successful login", async () => {
      const legacy = await ctx.container.db.prisma.user.create({
        data: { tenantId: "default", email: "legacy@example.com", passwordHash: bcrypt.hashSync("legacy-password", 4) },
      });
      expect((await ctx.container.users.verifyPassword("legacy@example.com", "nope")).rehashed).toBe(false);
      const check = await ctx.container.users.verifyPassword("legacy@example.com", "legacy-password");
      expect(check).toMatchObject({ rehashed: true, user: { id: legacy.id } });
      const stored = await ctx.container.db.prisma.user.findUniqueOrThrow({ where: { id: legacy.id } });
      expect(stored.passwordHash).toMatch(/^\$argon2id\$/);
      const again = await ctx.container.users.verifyPassword("legacy@example.com", "legacy-password");
      expect(again).toMatchObject({ rehashed: false, user: { id: legacy.id } });
    });
  });

  describe("clients", () => {
    it("registers a confidential client: the secret is returned once and stored only as a SHA-256 hash", async () => {
      const { client, clientSecret } = await ctx.container.clients.create({
        name: "Web app",
        type: "confidential",
        redirectUris: ["https://app.example.com/callback"],
        grantTypes: ["authorization_code", "refresh_token"],
        scopes: ["openid", "profile", "offline_access"],
      });
      expect(clientSecret).toBeDefined();
      expect(Buffer.from(clientSecret!, "base64url").length).toBeGreaterThanOrEqual(32);
      const stored = await ctx.container.db.prisma.client.findUniqueOrThrow({ where: { id: client.id } });
      expect(stored.secretHash).toBe(hashSecret(clientSecret!));
      expect(JSON.stringify(stored)).not.toContain(clientSecret!);
      expect(stored).toMatchObject({ tokenEndpointAuthMethod: "client_secret_basic", responseTypes: ["code"], tenantId: "default" });
      expect((await ctx.container.clients.findByClientId(client.clientId))?.id).toBe(client.id);
    });

    it("registers a public native client with a loopback and a private-use redirect and no secret", async () => {
      const { client, clientSecret } = await ctx.container.clients.create({
        name: "CLI",
        type: "public",
        applicationType: "native",
        redirectUris: ["http://127.0.0.1/callback", "com.example.app:/oauth"],
        grantTypes: ["authorization_code"],
        scopes: ["openid"],
      });
      expect(clientSecret).toBeUndefined();
      expect(client.tokenEndpointAuthMethod).toBe("none");
      expect(client.secretHash).toBeNull();
    });

    it.each([
      [{ type: "public", grantTypes: ["client_credentials"] }, "grantTypes"],
      [{ type: "public", tokenEndpointAuthMethod: "client_secret_basic" }, "tokenEndpointAuthMethod"],
      [{ type: "confidential", tokenEndpointAuthMethod: "none" }, "tokenEndpointAuthMethod"],
      [{ redirectUris: [] }, "redirectUris"],
      [{ redirectUris: ["http://app.example.com/cb"] }, "redirectUris"],
      [{ redirectUris: ["https://app.example.com/cb#frag"] }, "redirectUris"],
      [{ redirectUris: ["myapp:/cb"] }, "redirectUris"],
      [{ scopes: ["openid", "no-such-scope"] }, "scopes"],
      [{ grantTypes: ["implicit"] }, "grantTypes.0"],
      [{ grantTypes: ["password"] }, "grantTypes.0"],
    ])("rejects invalid metadata %j (field %s)", async (change, field) => {
      const input = {
        name: "Bad",
        type: "confidential" as const,
        redirectUris: ["https://app.example.com/cb"],
        grantTypes: ["authorization_code"],
        scopes: ["openid"],
        ...change,
      };
      const error = await ctx.container.clients.create(input as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues.map((i) => i.field)).toContain(field);
    });
  });

  describe("signing keys", () => {
    it("rotates: next becomes active, active is retired until its tokens expire, a new next appears", async () => {
      const keys = ctx.container.signingKeys;
      const before = await ctx.container.db.prisma.signingKey.findMany({ where: { alg: "ES256" } });
      const active = before.find((k) => k.status === "active")!;
      const next = before.find((k) => k.status === "next")!;
      const [result] = await keys.rotate(["ES256"], { type: "cli" });
      expect(result).toMatchObject({ alg: "ES256", activated: next.kid, retired: active.kid });
      const after = await ctx.container.db.prisma.signingKey.findMany({ where: { alg: "ES256" } });
      const retired = after.find((k) => k.kid === active.kid)!;
      expect(retired.status).toBe("retired");
      expect(retired.expiresAt!.getTime()).toBeGreaterThan(ctx.clock.nowMs());
      expect(after.filter((k) => k.status === "active").map((k) => k.kid)).toEqual([next.kid]);
      expect(after.filter((k) => k.status === "next")).toHaveLength(1);

      const publishable = () => keys.listPublishable().then((ks) => ks.map((k) => k.kid));
      expect(await publishable()).toContain(active.kid);
      ctx.clock.advance(retired.expiresAt!.getTime() - ctx.clock.nowMs() + 1);
      expect(await publishable()).not.toContain(active.kid);
    });

    it("stores private keys encrypted under the master key, bound to their kid", async () => {
      const key = await ctx.container.db.prisma.signingKey.findFirstOrThrow({ where: { alg: "RS256", status: "active" } });
      expect(key.privateJwkEncrypted).toMatch(/^v1\./);
      expect(key.privateJwkEncrypted).not.toContain('"d"');
      expect(JSON.stringify(key.publicJwk)).not.toContain('"d"');
      const jwk = ctx.container.signingKeys.decryptPrivateJwk(key);
      expect(jwk).toMatchObject({ kty: "RSA", kid: key.kid });
      expect(typeof jwk.d).toBe("string");
      // Swapping ciphertexts between rows fails: the kid is authenticated data.
      expect(() => ctx.container.keyEncryption.decrypt(key.privateJwkEncrypted, "another-kid")).toThrow();
    });
  });
});
