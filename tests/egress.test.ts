/**
 * The egress policy (lib/security/egress.ts) in the three places Authly fetches URLs that clients
 * register: a private_key_jwt client's jwks_uri (token endpoint), a pairwise client's
 * sector_identifier_uri (client registration), and a back-channel logout URI (the delivery worker).
 *
 * The containers get no injected resolver, so refused targets are IP literals (no DNS at all) or
 * `localhost` (answered from /etc/hosts). A guard on net.Socket#connect records every outgoing TCP
 * connection and lets only loopback ones through: "no connection" is asserted, not assumed, and
 * nothing here can reach the network whatever the code under test does.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import net, { type AddressInfo, type LookupFunction } from "node:net";
import { SignJWT, exportJWK, generateKeyPair, type JWK } from "jose";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { Client } from "../lib/generated/prisma/client";
import { JWT_BEARER_ASSERTION_TYPE } from "../lib/oauth/client-auth";
import { MAX_ATTEMPTS } from "../lib/oidc/backchannel-logout";
import { createLogger, type Logger } from "../lib/observability/logger";
import { ValidationError } from "../lib/server/errors";
import { runStartupTasks } from "../lib/server/first-start";
import { call } from "./support/oauth";
import { createTestContainer, databaseKind, type TestContext } from "./support/test-env";

// ---------------------------------------------------------------------------------------------
// Connection guard (the same rule as lib/security/egress.test.ts)
// ---------------------------------------------------------------------------------------------

function destinationOf(args: unknown[]): { host: string; port: unknown; lookup?: LookupFunction } | null {
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  if (first && typeof first === "object") {
    const options = first as { host?: string; port?: unknown; path?: string; lookup?: LookupFunction };
    if (options.path) return null; // a local socket file
    return { host: options.host ?? "localhost", port: options.port, lookup: options.lookup };
  }
  if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
    return { host: typeof args[1] === "string" ? args[1] : "localhost", port: first };
  }
  return null;
}

const loopbackLiteral = (address: string) => (net.isIPv4(address) && address.startsWith("127.")) || address === "::1";

function pinnedAddresses(host: string, lookup: LookupFunction | undefined): string[] | null {
  if (!lookup) return null;
  let answer: string[] | null = null;
  lookup(host, { all: true }, (error, addresses) => {
    if (!error) answer = (Array.isArray(addresses) ? addresses : [{ address: addresses }]).map((a) => (typeof a === "string" ? a : a.address));
  });
  return answer;
}

/** Records outgoing TCP connections; lets through loopback literals, `localhost`, and names pinned to loopback. */
function guardConnections() {
  const attempts: string[] = [];
  const original = net.Socket.prototype.connect;
  const spy = vi.spyOn(net.Socket.prototype, "connect").mockImplementation(function (this: net.Socket, ...args: unknown[]) {
    const target = destinationOf(args);
    if (!target) return original.apply(this, args as Parameters<typeof original>);
    const destination = `${target.host}:${String(target.port)}`;
    attempts.push(destination);
    const addresses = net.isIP(target.host) ? [target.host] : target.host === "localhost" && !target.lookup ? ["127.0.0.1"] : pinnedAddresses(target.host, target.lookup);
    if (addresses && addresses.length > 0 && addresses.every(loopbackLiteral)) return original.apply(this, args as Parameters<typeof original>);
    process.nextTick(() => this.destroy(Object.assign(new Error(`test guard: no connection to ${destination}`), { code: "ETESTBLOCKED" })));
    return this;
  });
  return {
    attempts,
    /** Attempts other than the test database's own connections. */
    outbound: () => attempts.filter((a) => !a.endsWith(":5432")),
    restore: () => spy.mockRestore(),
  };
}

// ---------------------------------------------------------------------------------------------
// A relying party on 127.0.0.1
// ---------------------------------------------------------------------------------------------

class RelyingParty {
  readonly hits = new Map<string, number>();
  private readonly routes = new Map<string, (res: ServerResponse) => void>();
  private readonly server: Server;
  port = 0;

  constructor() {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const path = req.url ?? "";
      this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
      res.on("error", () => undefined);
      const route = this.routes.get(path);
      if (route) route(res);
      else res.writeHead(404).end();
    });
  }

  serve(path: string, route: (res: ServerResponse) => void): string {
    this.routes.set(path, route);
    return `http://127.0.0.1:${this.port}${path}`;
  }

  json(path: string, body: unknown): string {
    return this.serve(path, (res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body)));
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A TCP listener that counts connections and drops them (an https URL pointing here fails after connecting). */
async function connectionCounter(host: string): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => count,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

interface LogLine {
  msg: string;
  error?: { name?: string; message?: string; code?: string };
  reason?: string;
}

function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  return { logger: createLogger({ level: "info", write: (line) => lines.push(JSON.parse(line) as LogLine) }), lines };
}

async function validationIssues(promise: Promise<unknown>): Promise<{ field: string; message: string }[]> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof ValidationError)) throw new Error(`expected a ValidationError, got ${String(error)}`);
  return error.issues;
}

// ---------------------------------------------------------------------------------------------

describe(`egress policy in its callers (${databaseKind})`, () => {
  let guard: ReturnType<typeof guardConnections>;
  let signing: { privateKey: CryptoKey; jwk: JWK };

  beforeAll(async () => {
    const pair = await generateKeyPair("ES256", { extractable: true });
    signing = { privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256", use: "sig" } };
  });
  beforeEach(() => {
    guard = guardConnections();
  });
  afterEach(() => guard.restore());

  /** A private_key_jwt token request (RFC 7523 §2.2) by `client`, signed with the test key. */
  async function tokenRequest(ctx: TestContext, client: Client): Promise<Response> {
    const now = Math.floor(ctx.clock.nowMs() / 1000);
    const assertion = await new SignJWT({ jti: randomUUID(), iss: client.clientId, sub: client.clientId, aud: `${ctx.config.issuer}/oauth/token`, iat: now, exp: now + 60 })
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .sign(signing.privateKey);
    return call(ctx.container, "/oauth/token", { form: { grant_type: "client_credentials", client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: assertion } });
  }

  const jwtClient = async (ctx: TestContext, jwksUri: string) =>
    (await ctx.container.clients.create({ name: `JWT ${jwksUri}`, type: "confidential", grantTypes: ["client_credentials"], scopes: ["api"], tokenEndpointAuthMethod: "private_key_jwt", jwksUri })).client;

  const pairwise = (ctx: TestContext, sectorIdentifierUri: string) =>
    ctx.container.clients.create({ name: "Pairwise", type: "confidential", subjectType: "pairwise", sectorIdentifierUri, redirectUris: ["https://app.example.com/cb"], grantTypes: ["authorization_code"], scopes: ["openid"] });

  /** The "client assertion check failed" log lines: their error is why the key set was unusable. */
  const assertionFailures = (lines: LogLine[]) => lines.filter((l) => l.msg === "client assertion check failed").map((l) => l.error);

  // -------------------------------------------------------------------------------------------
  describe("a loopback deployment (issuer http://localhost:3000: plain http to loopback allowed)", () => {
    let ctx: TestContext;
    let logs: LogLine[];
    const rp = new RelyingParty();

    beforeAll(async () => {
      await rp.listen();
      const captured = capturingLogger();
      logs = captured.lines;
      ctx = await createTestContainer({ logger: captured.logger });
      await runStartupTasks(ctx.container);
      await ctx.container.scopes.create({ name: "api" });
    });
    afterAll(async () => {
      await ctx?.cleanup();
      await rp.close();
    });

    describe("jwks_uri (private_key_jwt)", () => {
      it("a key set on an allowed loopback URL authenticates the client (the baseline for the refusals below)", async () => {
        const client = await jwtClient(ctx, rp.json("/jwks/ok", { keys: [signing.jwk] }));
        const response = await tokenRequest(ctx, client);
        expect(response.status).toBe(200);
        expect(rp.hits.get("/jwks/ok")).toBe(1);
      });

      it.each([
        ["https://169.254.169.254/latest/jwks", "refused: 169.254.169.254, a cloud metadata address"],
        ["https://10.0.0.1/jwks", "refused: 10.0.0.1, a private address"],
        ["https://[::ffff:169.254.169.254]/jwks", "refused: ::ffff:a9fe:a9fe, a cloud metadata address"],
        ["https://[fd00:ec2::254]/jwks", "refused: fd00:ec2::254, a cloud metadata address"],
      ])("%s: invalid_client, and no connection is attempted", async (jwksUri, reason) => {
        const client = await jwtClient(ctx, jwksUri);
        logs.length = 0;
        const response = await tokenRequest(ctx, client);
        expect(response.status).toBe(401);
        expect(await response.json()).toMatchObject({ error: "invalid_client" });
        expect(guard.outbound()).toEqual([]);
        expect(assertionFailures(logs)).toEqual([expect.objectContaining({ name: "EgressRefusedError", message: reason, code: "EGRESS_ADDRESS" })]);
      });

      it("a key set over 256 KB: invalid_client (the key in it is never used)", async () => {
        // A valid JWK Set holding the client's key, padded past the cap with an extra member (RFC 7517 §5 allows them).
        const client = await jwtClient(ctx, rp.json("/jwks/big", { keys: [signing.jwk], padding: "x".repeat(300 * 1024) }));
        logs.length = 0;
        const response = await tokenRequest(ctx, client);
        expect(response.status).toBe(401);
        expect(await response.json()).toMatchObject({ error: "invalid_client" });
        expect(assertionFailures(logs)).toEqual([expect.objectContaining({ message: "refused: response larger than 262144 bytes", code: "EGRESS_TOO_LARGE" })]);
        expect(rp.hits.get("/jwks/big")).toBe(1);
      });

      it("a redirecting jwks_uri: invalid_client, and the Location is never fetched", async () => {
        const target = rp.json("/jwks/moved-here", { keys: [signing.jwk] });
        const client = await jwtClient(ctx, rp.serve("/jwks/redirect", (res) => res.writeHead(302, { location: target }).end()));
        logs.length = 0;
        const response = await tokenRequest(ctx, client);
        expect(response.status).toBe(401);
        expect(assertionFailures(logs)).toEqual([expect.objectContaining({ message: "refused: redirect (HTTP 302)", code: "EGRESS_REDIRECT" })]);
        expect(rp.hits.get("/jwks/redirect")).toBe(1);
        expect(rp.hits.get("/jwks/moved-here")).toBeUndefined();
      });
    });

    describe("sector_identifier_uri (pairwise clients)", () => {
      it("a sector document on an allowed loopback URL is fetched and checked (the baseline)", async () => {
        const created = await pairwise(ctx, rp.json("/sector/ok", ["https://app.example.com/cb"]));
        expect(created.client.subjectType).toBe("pairwise");
        expect(rp.hits.get("/sector/ok")).toBe(1);
      });

      it.each([
        ["https://10.0.0.1/x", "could not be fetched (refused: 10.0.0.1, a private address)"],
        ["https://169.254.169.254/latest/meta-data/", "could not be fetched (refused: 169.254.169.254, a cloud metadata address)"],
        ["https://[fe80::1]/sector.json", "could not be fetched (refused: fe80::1, a link-local address)"],
      ])("%s: a validation error naming the refusal, and no connection", async (uri, message) => {
        const issues = await validationIssues(pairwise(ctx, uri));
        expect(guard.outbound()).toEqual([]);
        expect(issues).toEqual([{ field: "sectorIdentifierUri", message }]);
      });

      it("a sector document over 64 KB is refused", async () => {
        const uri = rp.json("/sector/big", Array.from({ length: 3000 }, (_, i) => `https://app.example.com/cb/${"x".repeat(20)}${i}`));
        expect(await validationIssues(pairwise(ctx, uri))).toEqual([{ field: "sectorIdentifierUri", message: "serves a document that is too large" }]);
        expect(rp.hits.get("/sector/big")).toBe(1);
      });

      it("a redirecting sector_identifier_uri is refused without following it", async () => {
        const target = rp.json("/sector/moved-here", ["https://app.example.com/cb"]);
        const uri = rp.serve("/sector/redirect", (res) => res.writeHead(307, { location: target }).end());
        expect(await validationIssues(pairwise(ctx, uri))).toEqual([{ field: "sectorIdentifierUri", message: "could not be fetched (refused: redirect (HTTP 307))" }]);
        expect(rp.hits.get("/sector/moved-here")).toBeUndefined();
      });
    });

    describe("backchannel_logout_uri", () => {
      it("a refused URI: every attempt fails with the refusal, the delivery ends failed, nothing is sent", async () => {
        const { container, clock } = ctx;
        const { client } = await container.clients.create({
          name: "Metadata logout",
          type: "confidential",
          redirectUris: ["https://logout.example.com/cb"],
          grantTypes: ["authorization_code"],
          scopes: ["openid"],
          backchannelLogoutUri: "https://169.254.169.254/logout",
        });
        const { id: userId } = await container.users.create({ email: "logout@example.com", password: "logout-password-1" });
        const session = await container.sessions.start({ userId });
        await container.sessions.addClient(session.id, client.id);
        expect(await container.logout.endSession(session.id, { reason: "logout" })).toMatchObject({ ended: true, backchannel: 1 });

        const delivery = () => container.prisma.logoutDelivery.findFirstOrThrow({ where: { clientId: client.id } });
        for (let round = 1; round <= MAX_ATTEMPTS; round++) {
          const summary = await container.backchannelLogout.runOnce();
          expect(guard.outbound()).toEqual([]);
          const row = await delivery();
          expect(row.attempts).toBe(round);
          expect(row.lastError).toBe("refused: 169.254.169.254, a cloud metadata address");
          expect(row.lastStatus).toBeNull();
          if (round < MAX_ATTEMPTS) {
            expect(summary).toEqual({ delivered: 0, retried: 1, failed: 0 });
            expect(row.status).toBe("pending");
            clock.set(row.nextAttemptAt.getTime());
          } else {
            expect(summary).toEqual({ delivered: 0, retried: 0, failed: 1 });
            expect(row.status).toBe("failed");
          }
        }
        const failed = await container.prisma.auditEvent.findMany({ where: { type: "logout.backchannel.failed", targetId: client.clientId } });
        expect(failed).toHaveLength(1);
        expect(guard.outbound()).toEqual([]);
      });
    });
  });

  // -------------------------------------------------------------------------------------------
  describe("an https deployment with AUTHLY_EGRESS_ALLOW_HOSTS=127.0.0.2 (no loopback otherwise)", () => {
    let ctx: TestContext;
    let logs: LogLine[];
    let allowed: Awaited<ReturnType<typeof connectionCounter>>;
    let loopback: Awaited<ReturnType<typeof connectionCounter>>;

    beforeAll(async () => {
      // 127.0.0.2 is a loopback address too (127/8): the allow-list entry stands for an internal host.
      allowed = await connectionCounter("127.0.0.2");
      loopback = await connectionCounter("127.0.0.1");
      const captured = capturingLogger();
      logs = captured.lines;
      ctx = await createTestContainer({ logger: captured.logger, env: { AUTHLY_ISSUER: "https://id.example.test", AUTHLY_EGRESS_ALLOW_HOSTS: "127.0.0.2" } });
      await runStartupTasks(ctx.container);
      await ctx.container.scopes.create({ name: "api" });
    });
    afterAll(async () => {
      await ctx?.cleanup();
      await allowed?.close();
      await loopback?.close();
    });

    it("lets a request to an allow-listed address through (it connects; TLS then fails against this plain listener)", async () => {
      const issues = await validationIssues(pairwise(ctx, `https://127.0.0.2:${allowed.port}/sector.json`));
      expect(issues).toHaveLength(1);
      expect(issues[0]!.message).toMatch(/^could not be fetched \(network error/);
      expect(allowed.connections()).toBe(1);

      const client = await jwtClient(ctx, `https://127.0.0.2:${allowed.port}/jwks`);
      logs.length = 0;
      expect((await tokenRequest(ctx, client)).status).toBe(401);
      expect(assertionFailures(logs)).toEqual([expect.objectContaining({ name: "EgressFailedError" })]);
      expect(allowed.connections()).toBe(2);
    });

    it("refuses loopback addresses the allow-list does not name, by IP literal or by name, without connecting", async () => {
      expect(await validationIssues(pairwise(ctx, `https://127.0.0.1:${loopback.port}/sector.json`))).toEqual([
        { field: "sectorIdentifierUri", message: "could not be fetched (refused: 127.0.0.1, a loopback address)" },
      ]);
      // localhost resolves (from /etc/hosts) to a loopback address: refused after resolution.
      const issues = await validationIssues(pairwise(ctx, `https://localhost:${loopback.port}/sector.json`));
      expect(issues[0]!.message).toMatch(/^could not be fetched \(refused: localhost resolves to (127\.0\.0\.1|::1), a loopback address\)$/);
      const client = await jwtClient(ctx, `https://localhost:${loopback.port}/jwks`);
      logs.length = 0;
      expect((await tokenRequest(ctx, client)).status).toBe(401);
      expect(assertionFailures(logs)).toEqual([expect.objectContaining({ code: "EGRESS_ADDRESS", message: expect.stringMatching(/^refused: localhost resolves to /) })]);
      // Plain http, which registration accepts for loopback URLs, goes nowhere in an https deployment.
      expect(await validationIssues(pairwise(ctx, `http://127.0.0.1:${loopback.port}/sector.json`))).toEqual([
        { field: "sectorIdentifierUri", message: "could not be fetched (refused: https is required (plain http only to loopback in a loopback deployment), host 127.0.0.1)" },
      ]);
      expect(loopback.connections()).toBe(0);
      expect(guard.outbound()).toEqual([]);
    });

    it("never opens cloud metadata, even for a back-channel logout URI", async () => {
      const { container } = ctx;
      const { client } = await container.clients.create({
        name: "Metadata logout",
        type: "confidential",
        redirectUris: ["https://logout.example.com/cb"],
        grantTypes: ["authorization_code"],
        scopes: ["openid"],
        backchannelLogoutUri: "https://[::ffff:169.254.169.254]/logout",
      });
      const { id: userId } = await container.users.create({ email: "logout@example.com", password: "logout-password-1" });
      const session = await container.sessions.start({ userId });
      await container.sessions.addClient(session.id, client.id);
      await container.logout.endSession(session.id, { reason: "logout" });
      expect(await container.backchannelLogout.runOnce()).toEqual({ delivered: 0, retried: 1, failed: 0 });
      const row = await container.prisma.logoutDelivery.findFirstOrThrow({ where: { clientId: client.id } });
      expect(row.lastError).toBe("refused: ::ffff:a9fe:a9fe, a cloud metadata address");
      expect(guard.outbound()).toEqual([]);
    });
  });
});
