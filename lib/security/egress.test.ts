/**
 * The egress policy (egress.ts): address classification, the allow-list, and EgressPolicy against
 * real servers on 127.0.0.1. Host names other than IP literals go through an injected resolver, and
 * a guard on net.Socket#connect refuses (and records) any connection that would leave the loopback
 * interface, so these tests never reach the network whatever the code under test does.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net, { type AddressInfo, type LookupFunction } from "node:net";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  EgressFailedError,
  EgressPolicy,
  EgressRefusedError,
  classifyAddress,
  isLoopbackHost,
  loopbackEgressAllowed,
  parseEgressAllowList,
  type EgressError,
  type EgressRequest,
  type ResolvedAddress,
  type Resolver,
} from "./egress";

// ---------------------------------------------------------------------------------------------
// Test plumbing
// ---------------------------------------------------------------------------------------------

/** Where a Socket#connect call goes, from any of its call forms (normalized array, options, port + host). */
function destinationOf(args: unknown[]): { host: string; port: unknown; lookup?: LookupFunction } | null {
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  if (first && typeof first === "object") {
    const options = first as { host?: string; port?: unknown; path?: string; lookup?: LookupFunction };
    if (options.path) return null; // a local socket file, not the network
    return { host: options.host ?? "localhost", port: options.port, lookup: options.lookup };
  }
  if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
    return { host: typeof args[1] === "string" ? args[1] : "localhost", port: first };
  }
  return null;
}

const loopbackLiteral = (address: string) => (net.isIPv4(address) && address.startsWith("127.")) || address === "::1";

/** The addresses a connection's own `lookup` option answers synchronously for `host` (the egress policy pins them). */
function pinnedAddresses(host: string, lookup: LookupFunction | undefined): string[] | null {
  if (!lookup) return null;
  let answer: string[] | null = null;
  lookup(host, { all: true }, (error, addresses) => {
    if (!error) answer = (Array.isArray(addresses) ? addresses : [{ address: addresses }]).map((a) => (typeof a === "string" ? a : a.address));
  });
  return answer;
}

/**
 * Records every outgoing TCP connection and lets only loopback ones through: an IP literal on
 * 127/8 or ::1, or a host name whose connection-level lookup answers (synchronously) with such
 * addresses only. Anything else fails with ETESTBLOCKED before a packet is sent.
 */
function guardConnections() {
  const attempts: string[] = [];
  const original = net.Socket.prototype.connect;
  const spy = vi.spyOn(net.Socket.prototype, "connect").mockImplementation(function (this: net.Socket, ...args: unknown[]) {
    const target = destinationOf(args);
    if (!target) return original.apply(this, args as Parameters<typeof original>);
    attempts.push(`${target.host}:${String(target.port)}`);
    const addresses = net.isIP(target.host) ? [target.host] : pinnedAddresses(target.host, target.lookup);
    if (addresses && addresses.length > 0 && addresses.every(loopbackLiteral)) return original.apply(this, args as Parameters<typeof original>);
    process.nextTick(() => this.destroy(Object.assign(new Error(`test guard: no connection to ${target.host}`), { code: "ETESTBLOCKED" })));
    return this;
  });
  return { attempts, restore: () => spy.mockRestore() };
}

/** A resolver answering from a fixed table (no DNS), counting its calls. */
function tableResolver(table: Record<string, readonly (string | ResolvedAddress)[]>) {
  return vi.fn<Resolver>(async (hostname) => {
    const entries = table[hostname];
    if (!entries) throw Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    return entries.map((e) => (typeof e === "string" ? { address: e, family: net.isIPv6(e) ? 6 : 4 } : e));
  });
}

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Settles when this request's connection is closed (by either side). */
  closed: Promise<void>;
}

/** A plain HTTP server on 127.0.0.1 that records what reaches it. */
class LocalServer {
  readonly seen: Seen[] = [];
  private readonly server: http.Server;
  port = 0;

  constructor(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      const closed = new Promise<void>((resolve) => req.socket.once("close", () => resolve()));
      const record: Seen = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: "", closed };
      this.seen.push(record);
      res.on("error", () => undefined);
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        record.body = Buffer.concat(chunks).toString("utf8");
        handler(req, res);
      });
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  url(pathAndQuery: string, host = "127.0.0.1"): string {
    return `http://${host}:${this.port}${pathAndQuery}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Writes `chunk` for as long as the peer reads (no Content-Length: chunked), until the connection closes. */
function streamForever(res: http.ServerResponse, chunk: Buffer): void {
  res.writeHead(200, { "content-type": "application/octet-stream" });
  const pump = () => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once("drain", pump);
  };
  pump();
}

async function refusal(promise: Promise<unknown>): Promise<EgressError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof EgressRefusedError) && !(error instanceof EgressFailedError)) throw new Error(`expected an egress error, got ${String(error)}`);
  return error;
}

const GET: EgressRequest = { maxBytes: 64 * 1024, timeoutMs: 10_000 };

let guard: ReturnType<typeof guardConnections>;
beforeEach(() => {
  guard = guardConnections();
});
afterEach(() => guard.restore());

// ---------------------------------------------------------------------------------------------
// Address classification
// ---------------------------------------------------------------------------------------------

describe("classifyAddress", () => {
  it.each([
    // IPv4
    ["10.0.0.1", "private"], // RFC 1918
    ["172.16.5.4", "private"],
    ["172.31.255.255", "private"],
    ["172.32.0.1", "public"],
    ["192.168.1.1", "private"],
    ["127.0.0.1", "loopback"], // RFC 1122
    ["127.255.255.254", "loopback"],
    ["169.254.1.1", "link_local"], // RFC 3927
    ["100.64.0.1", "cgnat"], // RFC 6598
    ["100.127.255.255", "cgnat"],
    ["100.128.0.1", "public"],
    ["169.254.169.254", "metadata"],
    ["169.254.170.2", "metadata"],
    ["100.100.100.200", "metadata"],
    ["0.0.0.0", "unspecified"],
    ["224.0.0.1", "multicast"],
    ["255.255.255.255", "reserved"],
    ["192.0.2.10", "reserved"], // RFC 5737
    ["8.8.8.8", "public"],
    // IPv6
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["fe80::1", "link_local"],
    ["fe80::1%eth0", "link_local"],
    ["fc00::1", "unique_local"],
    ["fd12:3456::1", "unique_local"],
    ["fd00:ec2::254", "metadata"],
    ["ff02::1", "multicast"],
    ["2001:db8::1", "reserved"],
    ["5f00::1", "reserved"], // outside 2000::/3
    ["2606:4700::1111", "public"],
    ["[2606:4700::1111]", "public"],
    // IPv6 forms carrying an IPv4 address are classified as that address
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:a00:1", "private"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:169.254.169.254", "metadata"],
    ["::ffff:8.8.8.8", "public"],
    ["64:ff9b::a00:1", "private"], // NAT64 of 10.0.0.1
    ["64:ff9b::a9fe:a9fe", "metadata"], // NAT64 of 169.254.169.254
    ["64:ff9b::808:808", "public"],
    ["2002:0a00:0001::", "private"], // 6to4 of 10.0.0.1
    ["2002:a9fe:a9fe::1", "metadata"],
    ["2002:808:808::1", "public"],
    // Unparsable
    ["not-an-address", "reserved"],
    ["", "reserved"],
    ["1.2.3", "reserved"],
    ["01.2.3.4", "reserved"],
    ["10.0.0.256", "reserved"],
    ["1::2::3", "reserved"],
  ])("%s is %s", (address, category) => {
    expect(classifyAddress(address)).toBe(category);
  });

  it("knows loopback host names and literals (RFC 6761 §6.3)", () => {
    for (const host of ["localhost", "LOCALHOST", "localhost.", "app.localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "::ffff:127.0.0.1"]) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ["localhost.example.com", "mylocalhost", "10.0.0.1", "0.0.0.0", "::", "example.com"]) expect(isLoopbackHost(host), host).toBe(false);
  });
});

describe("parseEgressAllowList", () => {
  it("takes host names, IP addresses and CIDR networks, comma- or space-separated", () => {
    const list = parseEgressAllowList(" RP.Internal.Example., 10.20.0.0/16  fd12:3456::/48,192.168.1.7 ::ffff:172.16.0.0/108 ");
    if (typeof list === "string") throw new Error(list);
    expect([...list.hosts]).toEqual(["rp.internal.example"]);
    expect(list.networks.map((n) => [Array.from(n.bytes), n.prefix])).toEqual([
      [[10, 20, 0, 0], 16],
      [[0xfd, 0x12, 0x34, 0x56, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 48],
      [[192, 168, 1, 7], 32],
      // An IPv4-mapped network is the IPv4 network it maps.
      [[172, 16, 0, 0], 12],
    ]);
    expect(parseEgressAllowList("")).toEqual({ hosts: new Set(), networks: [] });
  });

  it.each(["10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/8/1", "10.0.0.0/x", "rp.example:443", "https://rp.example", "rp.example/24", "-rp.example", "rp..example", "bücher.example"])(
    "names the bad entry %s",
    (entry) => {
      const result = parseEgressAllowList(`ok.example, ${entry}`);
      expect(typeof result).toBe("string");
      expect(result).toContain(`"${entry}"`);
    },
  );
});

describe("loopbackEgressAllowed", () => {
  it("only for a plain-http loopback issuer", () => {
    for (const issuer of ["http://localhost:3000", "http://127.0.0.1:4000", "http://[::1]:3000", "http://dev.localhost"]) expect(loopbackEgressAllowed(issuer), issuer).toBe(true);
    for (const issuer of ["https://localhost:3000", "https://id.example.com", "http://id.example.com", "http://10.0.0.1:3000", "not a url", ""]) expect(loopbackEgressAllowed(issuer), issuer).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// EgressPolicy against real local servers
// ---------------------------------------------------------------------------------------------

describe("EgressPolicy", () => {
  const servers: LocalServer[] = [];
  const server = async (handler: (req: http.IncomingMessage, res: http.ServerResponse) => void) => {
    const made = await new LocalServer(handler).listen();
    servers.push(made);
    return made;
  };
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  const okServer = () => server((_req, res) => res.end("ok"));

  describe("refusals before any connection", () => {
    it("plain http only to loopback, and only when loopback egress is allowed", async () => {
      const resolver = tableResolver({ "rp.example": ["8.8.8.8"], localhost: ["127.0.0.1"] });
      const loopback = new EgressPolicy({ allowLoopback: true, resolver });
      for (const url of ["http://rp.example/jwks", "http://8.8.8.8/jwks", "http://10.0.0.1/jwks", "http://0.0.0.0:8080/"]) {
        expect((await refusal(loopback.fetch(url, GET))).reason, url).toBe("scheme");
      }
      const strict = new EgressPolicy({ allowLoopback: false, allowHosts: ["127.0.0.0/8", "localhost"], resolver });
      for (const url of ["http://127.0.0.1:1/", "http://localhost:1/", "http://[::1]:1/"]) {
        expect((await refusal(strict.fetch(url, GET))).reason, url).toBe("scheme");
      }
      for (const url of ["ftp://rp.example/x", "file:///etc/passwd", "gopher://127.0.0.1:70/", "data:text/plain,hi"]) {
        expect((await refusal(loopback.fetch(url, GET))).reason, url).toBe("scheme");
      }
      expect((await refusal(loopback.fetch("/relative", GET))).reason).toBe("invalid_url");
      expect(resolver).not.toHaveBeenCalled();
      expect(guard.attempts).toEqual([]);
    });

    it("credentials in the URL", async () => {
      const local = await okServer();
      const policy = new EgressPolicy({ allowLoopback: true });
      const error = await refusal(policy.fetch(`http://user:secret@127.0.0.1:${local.port}/`, GET));
      expect(error.reason).toBe("credentials");
      expect(error.message).not.toContain("secret");
      expect((await refusal(policy.fetch(`https://user@rp.example/`, GET))).reason).toBe("credentials");
      expect(local.seen).toEqual([]);
      expect(guard.attempts).toEqual([]);
    });

    it("IP literals outside the public internet, without resolving or connecting", async () => {
      const resolver = tableResolver({});
      const policy = new EgressPolicy({ allowLoopback: false, resolver });
      for (const [url, label] of [
        ["https://10.0.0.1/x", "10.0.0.1, a private address"],
        ["https://169.254.169.254/latest/meta-data/", "169.254.169.254, a cloud metadata address"],
        ["https://[::ffff:169.254.169.254]/", "::ffff:a9fe:a9fe, a cloud metadata address"],
        ["https://[fd00:ec2::254]/", "fd00:ec2::254, a cloud metadata address"],
        ["https://[fe80::1]/", "fe80::1, a link-local address"],
        ["https://100.64.1.1/", "100.64.1.1, a shared (CGNAT) address"],
        ["https://127.0.0.1:8443/", "127.0.0.1, a loopback address"],
        ["https://[::1]/", "::1, a loopback address"],
        ["https://0.0.0.0/", "0.0.0.0, an unspecified address"],
        ["https://224.0.0.1/", "224.0.0.1, a multicast address"],
        ["https://[64:ff9b::a00:1]/", "64:ff9b::a00:1, a private address"],
        ["https://0x7f.1/", "127.0.0.1, a loopback address"], // the URL parser normalizes IPv4 forms
      ]) {
        const error = await refusal(policy.fetch(url!, GET));
        expect(error, url).toBeInstanceOf(EgressRefusedError);
        expect(error.reason, url).toBe("address");
        expect(error.message, url).toBe(`refused: ${label}`);
        expect(error.code).toBe("EGRESS_ADDRESS");
      }
      expect(resolver).not.toHaveBeenCalled();
      expect(guard.attempts).toEqual([]);
    });

    it("a host name resolving to a non-public address", async () => {
      const resolver = tableResolver({ "rp.example": ["10.0.0.5"], "meta.example": ["169.254.169.254"], "six.example": ["::1"], "mapped.example": ["::ffff:192.168.0.1"] });
      const policy = new EgressPolicy({ allowLoopback: false, resolver });
      expect((await refusal(policy.fetch("https://rp.example/jwks?secret=1", GET))).message).toBe("refused: rp.example resolves to 10.0.0.5, a private address");
      expect((await refusal(policy.fetch("https://meta.example/", GET))).message).toBe("refused: meta.example resolves to 169.254.169.254, a cloud metadata address");
      expect((await refusal(policy.fetch("https://six.example/", GET))).message).toBe("refused: six.example resolves to ::1, a loopback address");
      expect((await refusal(policy.fetch("https://mapped.example/", GET))).message).toBe("refused: mapped.example resolves to ::ffff:192.168.0.1, a private address");
      expect(resolver).toHaveBeenCalledTimes(4);
      expect(guard.attempts).toEqual([]);
    });

    it("a host name when ANY of its addresses is not public (a public one first does not help)", async () => {
      const resolver = tableResolver({ "mixed.example": ["93.184.216.34", "10.0.0.5"], "mixed6.example": ["2606:4700::1111", "fd00::1"] });
      const policy = new EgressPolicy({ allowLoopback: false, resolver });
      expect((await refusal(policy.fetch("https://mixed.example/", GET))).message).toBe("refused: mixed.example resolves to 10.0.0.5, a private address");
      expect((await refusal(policy.fetch("https://mixed6.example/", GET))).message).toBe("refused: mixed6.example resolves to fd00::1, a unique-local address");
      expect(guard.attempts).toEqual([]);
    });

    it("cloud metadata, multicast and unspecified addresses even when the allow-list names them", async () => {
      const resolver = tableResolver({ "meta.example": ["169.254.169.254"], "ok.example": ["10.0.0.5", "fd00:ec2::254"] });
      const policy = new EgressPolicy({
        allowLoopback: true,
        allowHosts: ["meta.example", "ok.example", "169.254.0.0/16", "fd00::/8", "0.0.0.0/8", "224.0.0.0/4", "::ffff:0:0/96"],
        resolver,
      });
      for (const url of ["https://meta.example/", "https://ok.example/", "https://169.254.169.254/", "https://[::ffff:169.254.169.254]/", "https://0.0.0.0/", "https://224.0.0.1/"]) {
        expect((await refusal(policy.fetch(url, GET))).reason, url).toBe("address");
      }
      expect(guard.attempts).toEqual([]);
    });

    it("keeps paths, queries and bodies out of its messages", async () => {
      const policy = new EgressPolicy({ allowLoopback: false, resolver: tableResolver({ "rp.example": ["10.0.0.5"] }) });
      const error = await refusal(policy.fetch("https://rp.example/tenant-secret/jwks?token=abc123", { ...GET, method: "POST", body: "password=hunter2" }));
      expect(error.message).not.toMatch(/tenant-secret|abc123|hunter2/);
    });
  });

  describe("the allow-list", () => {
    it("opens a host name for whatever it resolves to (here loopback), and only that name", async () => {
      const local = await okServer();
      const resolver = tableResolver({ "rp.test": ["127.0.0.1"], "other.test": ["127.0.0.1"] });
      const policy = new EgressPolicy({ allowLoopback: false, allowHosts: ["RP.test"], resolver });
      // https to a plain-http server: the policy let the connection through, TLS then failed.
      const error = await refusal(policy.fetch(`https://rp.test:${local.port}/`, GET));
      expect(error).toBeInstanceOf(EgressFailedError);
      expect(error.reason).toBe("network");
      expect(guard.attempts).toEqual([`rp.test:${local.port}`]);
      expect((await refusal(policy.fetch(`https://other.test:${local.port}/`, GET))).reason).toBe("address");
      expect(guard.attempts).toHaveLength(1);
    });

    it("opens a network (CIDR) for the addresses in it, IPv4-mapped forms included", async () => {
      const policy = new EgressPolicy({ allowLoopback: false, allowHosts: ["10.0.0.0/8"], resolver: tableResolver({ "rp.example": ["10.1.2.3"], "far.example": ["192.168.0.1"] }) });
      // Let through by the policy; the test guard then stops the connection to 10.x.
      const allowed = await refusal(policy.fetch("https://10.9.8.7/x", GET));
      expect(allowed).toMatchObject({ reason: "network", message: "network error (ETESTBLOCKED)" });
      expect((await refusal(policy.fetch("https://[::ffff:10.9.8.7]/x", GET))).message).toBe("network error (ETESTBLOCKED)");
      expect((await refusal(policy.fetch("https://rp.example/x", GET))).message).toBe("network error (ETESTBLOCKED)");
      expect(guard.attempts).toEqual(["10.9.8.7:443", "::ffff:a09:807:443", "rp.example:443"]);
      expect((await refusal(policy.fetch("https://far.example/x", GET))).reason).toBe("address");
      expect((await refusal(policy.fetch("https://172.16.0.1/x", GET))).reason).toBe("address");
      expect(guard.attempts).toHaveLength(3);
    });

    it("never opens plain http beyond loopback", async () => {
      const policy = new EgressPolicy({ allowLoopback: true, allowHosts: ["rp.example", "10.0.0.0/8"], resolver: tableResolver({ "rp.example": ["10.0.0.1"] }) });
      expect((await refusal(policy.fetch("http://rp.example/", GET))).reason).toBe("scheme");
      expect((await refusal(policy.fetch("http://10.0.0.1/", GET))).reason).toBe("scheme");
      expect(guard.attempts).toEqual([]);
    });

    it("refuses a bad allow-list at construction", () => {
      expect(() => new EgressPolicy({ allowLoopback: false, allowHosts: ["10.0.0.0/40"] })).toThrow(/AUTHLY_EGRESS_ALLOW_HOSTS/);
    });
  });

  describe("requests", () => {
    it("pins the connection to the address it checked: one resolution, the original Host header", async () => {
      const local = await server((req, res) => res.end(req.headers.host));
      // pinned.localhost is in no DNS: the connection reaches the server only through the checked address.
      const resolver = tableResolver({ "pinned.localhost": ["127.0.0.1"] });
      const policy = new EgressPolicy({ allowLoopback: true, resolver });
      const response = await policy.fetch(`http://pinned.localhost:${local.port}/jwks?x=1`, { ...GET, headers: { accept: "application/json", host: "evil.example" } });
      expect(response).toMatchObject({ status: 200, truncated: false });
      expect(response.body.toString()).toBe(`pinned.localhost:${local.port}`);
      expect(resolver).toHaveBeenCalledTimes(1);
      expect(resolver).toHaveBeenCalledWith("pinned.localhost");
      expect(local.seen).toHaveLength(1);
      expect(local.seen[0]).toMatchObject({ method: "GET", url: "/jwks?x=1" });
      expect(local.seen[0]!.headers).toMatchObject({ host: `pinned.localhost:${local.port}`, accept: "application/json", "accept-encoding": "identity", connection: "close" });
      // The socket got the name, with a lookup answering the checked address (the guard asked it).
      expect(guard.attempts).toEqual([`pinned.localhost:${local.port}`]);
    });

    it("offers the connection every checked address, so it falls back from one family to the other (RFC 8305)", async () => {
      // The server listens on 127.0.0.1 only; the name resolves to ::1 first, as localhost often does.
      const local = await server((_req, res) => res.end("reached"));
      // The stated family is wrong on purpose: the policy takes it from the address text.
      const resolver = tableResolver({ "dual.localhost": ["::1", { address: "127.0.0.1", family: 6 }] });
      const response = await new EgressPolicy({ allowLoopback: true, resolver }).fetch(`http://dual.localhost:${local.port}/`, GET);
      expect(response.body.toString()).toBe("reached");
      expect(resolver).toHaveBeenCalledTimes(1);
    });

    it("rejects with an egress error when Node refuses the request options", async () => {
      const local = await okServer();
      const error = await refusal(new EgressPolicy({ allowLoopback: true }).fetch(local.url("/"), { ...GET, headers: { "x-bad": "line\nbreak" } }));
      expect(error).toMatchObject({ reason: "network", message: "network error (ERR_INVALID_CHAR)" });
      expect(local.seen).toEqual([]);
    });

    it("never falls back to the system resolver", async () => {
      const local = await okServer();
      const policy = new EgressPolicy({ allowLoopback: true, resolver: tableResolver({}) });
      expect(await refusal(policy.fetch(`http://localhost:${local.port}/`, GET))).toMatchObject({ reason: "dns", message: "cannot resolve localhost" });
      expect(local.seen).toEqual([]);
      expect(guard.attempts).toEqual([]);
    });

    it("sends a POST body with its length", async () => {
      const local = await server((_req, res) => {
        res.statusCode = 204;
        res.end();
      });
      const policy = new EgressPolicy({ allowLoopback: true });
      const response = await policy.fetch(local.url("/logout"), { ...GET, method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "logout_token=a.b.c" });
      expect(response).toMatchObject({ status: 204, truncated: false });
      expect(response.body.length).toBe(0);
      expect(local.seen.at(-1)).toMatchObject({ method: "POST", body: "logout_token=a.b.c" });
      expect(local.seen.at(-1)!.headers["content-length"]).toBe("18");
    });

    it("returns error statuses to the caller", async () => {
      const local = await server((_req, res) => {
        res.statusCode = 503;
        res.end("busy");
      });
      const response = await new EgressPolicy({ allowLoopback: true }).fetch(local.url("/"), GET);
      expect(response.status).toBe(503);
      expect(response.body.toString()).toBe("busy");
    });

    it.each([301, 302, 303, 307, 308])("refuses a redirect (HTTP %i) and never contacts its Location", async (status) => {
      const elsewhere = await okServer();
      const local = await server((_req, res) => {
        res.writeHead(status, { location: elsewhere.url("/stolen") });
        res.end();
      });
      const error = await refusal(new EgressPolicy({ allowLoopback: true }).fetch(local.url("/jwks"), GET));
      expect(error).toBeInstanceOf(EgressRefusedError);
      expect(error).toMatchObject({ reason: "redirect", message: `refused: redirect (HTTP ${status})` });
      expect(local.seen).toHaveLength(1);
      expect(elsewhere.seen).toEqual([]);
    });

    it("refuses a body over maxBytes while it streams and closes the connection", async () => {
      const local = await server((_req, res) => streamForever(res, Buffer.alloc(8 * 1024, "a")));
      const error = await refusal(new EgressPolicy({ allowLoopback: true }).fetch(local.url("/endless"), { maxBytes: 100 * 1024, timeoutMs: 30_000 }));
      expect(error).toBeInstanceOf(EgressRefusedError);
      expect(error).toMatchObject({ reason: "too_large", message: "refused: response larger than 102400 bytes" });
      // The server sees its connection closed: the policy stopped reading, it did not drain the stream.
      await local.seen[0]!.closed;
    });

    it("refuses a declared Content-Length over maxBytes from the headers alone", async () => {
      // Headers only: the body never comes, so only an early refusal can end this before the timeout.
      const local = await server((_req, res) => {
        res.writeHead(200, { "content-length": String(10 * 1024 * 1024) });
        res.flushHeaders();
      });
      const error = await refusal(new EgressPolicy({ allowLoopback: true }).fetch(local.url("/big"), { maxBytes: 1024, timeoutMs: 30_000 }));
      expect(error).toMatchObject({ reason: "too_large" });
      await local.seen[0]!.closed;
    });

    it("accepts a body of exactly maxBytes", async () => {
      const local = await server((_req, res) => res.end(Buffer.alloc(1000, "b")));
      const response = await new EgressPolicy({ allowLoopback: true }).fetch(local.url("/"), { maxBytes: 1000, timeoutMs: 10_000 });
      expect(response).toMatchObject({ status: 200, truncated: false });
      expect(response.body.length).toBe(1000);
    });

    it('cuts the body at maxBytes with overflow "truncate" (declared or streamed)', async () => {
      const endless = await server((_req, res) => streamForever(res, Buffer.from("0123456789")));
      const policy = new EgressPolicy({ allowLoopback: true });
      const streamed = await policy.fetch(endless.url("/"), { maxBytes: 25, overflow: "truncate", timeoutMs: 30_000 });
      expect(streamed).toMatchObject({ status: 200, truncated: true });
      expect(streamed.body.toString()).toBe("0123456789012345678901234");
      await endless.seen[0]!.closed;

      const declared = await server((_req, res) => res.end(Buffer.alloc(5000, "c")));
      const cut = await policy.fetch(declared.url("/"), { maxBytes: 4096, overflow: "truncate", timeoutMs: 10_000 });
      expect(cut).toMatchObject({ status: 200, truncated: true });
      expect(cut.body.length).toBe(4096);
    });

    it("ends with a timeout when the server never answers, and closes the connection", async () => {
      const silent = await server(() => undefined);
      const error = await refusal(new EgressPolicy({ allowLoopback: true }).fetch(silent.url("/"), { maxBytes: 1024, timeoutMs: 200 }));
      expect(error).toBeInstanceOf(EgressFailedError);
      expect(error).toMatchObject({ reason: "timeout", message: "timeout" });
      await silent.seen[0]!.closed;
    });

    it("the timeout covers the body too (headers sent, body never finished)", async () => {
      const stalled = await server((_req, res) => {
        res.writeHead(200);
        res.write("partial");
      });
      const error = await refusal(new EgressPolicy({ allowLoopback: true }).fetch(stalled.url("/"), { maxBytes: 1024, timeoutMs: 200 }));
      expect(error.reason).toBe("timeout");
      await stalled.seen[0]!.closed;
    });

    it("the timeout covers name resolution", async () => {
      const never: Resolver = () => new Promise(() => undefined);
      const error = await refusal(new EgressPolicy({ allowLoopback: false, resolver: never }).fetch("https://slow.example/", { maxBytes: 1024, timeoutMs: 50 }));
      expect(error.reason).toBe("timeout");
      expect(guard.attempts).toEqual([]);
    });

    it("reports name resolution failures as dns", async () => {
      const policy = new EgressPolicy({ allowLoopback: false, resolver: async (host) => (host === "empty.example" ? [] : Promise.reject(new Error("boom"))) });
      expect(await refusal(policy.fetch("https://empty.example/", GET))).toMatchObject({ reason: "dns", message: "cannot resolve empty.example" });
      expect(await refusal(policy.fetch("https://broken.example/", GET))).toMatchObject({ reason: "dns", message: "cannot resolve broken.example" });
    });

    it("reports a refused connection and a connection closed mid-body as network errors", async () => {
      const closedPort = await new Promise<number>((resolve) => {
        const probe = net.createServer().listen(0, "127.0.0.1", () => {
          const { port } = probe.address() as AddressInfo;
          probe.close(() => resolve(port));
        });
      });
      const policy = new EgressPolicy({ allowLoopback: true });
      expect(await refusal(policy.fetch(`http://127.0.0.1:${closedPort}/`, GET))).toMatchObject({ reason: "network", message: "network error (ECONNREFUSED)" });
      const cut = await server((req, res) => {
        res.writeHead(200, { "content-length": "100" });
        res.write("only part");
        setImmediate(() => req.socket.destroy());
      });
      expect((await refusal(policy.fetch(cut.url("/"), GET))).reason).toBe("network");
    });
  });

  describe.skipIf(!hasOpenssl())("https", () => {
    let dir: string;
    let tls: https.Server;
    let port = 0;
    const serverNames: (string | null)[] = [];
    const hosts: (string | undefined)[] = [];

    beforeAll(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), "authly-egress-"));
      // A self-signed certificate for pinned.test, made for this run (no network).
      const args = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=pinned.test"];
      args.push("-addext", "subjectAltName=DNS:pinned.test", "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem"));
      execFileSync("openssl", args, { stdio: "ignore" });
      tls = https.createServer(
        {
          key: readFileSync(path.join(dir, "key.pem")),
          cert: readFileSync(path.join(dir, "cert.pem")),
          // Records the TLS server name each client asks for.
          SNICallback: (name, callback) => {
            serverNames.push(name);
            callback(null, undefined);
          },
        },
        (req, res) => {
          hosts.push(req.headers.host);
          res.end("over tls");
        },
      );
      tls.on("tlsClientError", () => undefined);
      await new Promise<void>((resolve) => tls.listen(0, "127.0.0.1", resolve));
      port = (tls.address() as AddressInfo).port;
    });
    afterAll(async () => {
      tls?.closeAllConnections();
      await new Promise<void>((resolve) => (tls ? tls.close(() => resolve()) : resolve()));
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("verifies the certificate against the original host name and sends it as the TLS server name", async () => {
      serverNames.length = 0;
      const policy = new EgressPolicy({ allowLoopback: false, allowHosts: ["pinned.test"], resolver: tableResolver({ "pinned.test": ["127.0.0.1"] }) });
      // This process does not trust the self-signed certificate: verification stays on.
      const error = await refusal(policy.fetch(`https://pinned.test:${port}/`, GET));
      expect(error).toMatchObject({ reason: "network", message: "network error (DEPTH_ZERO_SELF_SIGNED_CERT)" });
      expect(serverNames).toEqual(["pinned.test"]);
      expect(guard.attempts).toEqual([`pinned.test:${port}`]);
    });

    it("completes a request over TLS when the certificate is trusted (a child process with NODE_EXTRA_CA_CERTS)", async () => {
      hosts.length = 0;
      serverNames.length = 0;
      const script = path.join(dir, "fetch.mts");
      writeFileSync(
        script,
        [
          `import { EgressPolicy } from ${JSON.stringify(pathToFileURL(path.resolve("lib/security/egress.ts")).href)};`,
          `let resolutions = 0;`,
          `const resolver = async (host: string) => { resolutions++; return host === "pinned.test" ? [{ address: "127.0.0.1", family: 4 as const }] : []; };`,
          `const policy = new EgressPolicy({ allowLoopback: false, allowHosts: ["pinned.test"], resolver });`,
          `const response = await policy.fetch("https://pinned.test:${port}/jwks", { maxBytes: 1024, timeoutMs: 10000 });`,
          `console.log(JSON.stringify({ status: response.status, body: response.body.toString(), resolutions }));`,
        ].join("\n"),
      );
      // Asynchronous: this process's server must keep answering while the child runs.
      const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", script], {
        cwd: process.cwd(),
        env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(dir, "cert.pem") },
      });
      expect(JSON.parse(stdout.trim())).toEqual({ status: 200, body: "over tls", resolutions: 1 });
      expect(serverNames).toEqual(["pinned.test"]);
      expect(hosts).toEqual([`pinned.test:${port}`]);
    });
  });
});

function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
