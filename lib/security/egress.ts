/**
 * The egress policy: the only way Authly sends HTTP requests to URLs that clients register
 * (jwks_uri, sector_identifier_uri, backchannel_logout_uri). Such URLs are chosen by whoever
 * registers a client, so without a policy they reach whatever the server can reach: internal
 * services, the loopback interface, cloud metadata endpoints (server-side request forgery,
 * OWASP SSRF Prevention Cheat Sheet; OWASP API Security Top 10 2023 API7).
 *
 * Every request:
 * 1. must be https; plain http only to a loopback host, and only when loopback egress is allowed
 *    (see `loopbackEgressAllowed`): local development and tests;
 * 2. has its host resolved once, and every resolved address is checked: private, loopback,
 *    link-local, unique-local, shared (CGNAT), multicast, unspecified, reserved and cloud metadata
 *    addresses are refused, IPv4-mapped and NAT64/6to4 IPv6 forms included, unless the operator's
 *    allow-list (AUTHLY_EGRESS_ALLOW_HOSTS) names the host or a network holding the address.
 *    Cloud metadata, multicast and unspecified addresses are refused even then;
 * 3. connects only to addresses that were checked (the connection's DNS lookup is answered with
 *    them, so Node's address fallback between IPv6 and IPv4 still works, RFC 8305), with the
 *    original Host header and TLS server name: no second resolution, so no DNS rebinding between
 *    check and use (OWASP SSRF Prevention Cheat Sheet, "DNS pinning");
 * 4. follows no redirect (a 3xx is refused: it would lead past the checks above), reads at most
 *    `maxBytes` of body while it streams (the connection is closed as soon as the cap is passed),
 *    asks for no content encoding (no decompression bombs), and ends after one total timeout
 *    covering resolution, connection, headers and body.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import http from "node:http";
import https from "node:https";
import { isIP, isIPv4, isIPv6, type LookupFunction } from "node:net";

// ---------------------------------------------------------------------------------------------
// Address classification
// ---------------------------------------------------------------------------------------------

export type AddressCategory =
  | "public"
  | "loopback"
  | "private"
  | "link_local"
  | "unique_local"
  | "cgnat"
  | "multicast"
  | "unspecified"
  | "metadata"
  | "reserved";

/** Categories no allow-list entry opens: never a legitimate endpoint for a registered URL. */
const NEVER_ALLOWED: ReadonlySet<AddressCategory> = new Set(["metadata", "multicast", "unspecified"]);

/** How refusal messages name each category. */
const categoryLabel: Record<AddressCategory, string> = {
  public: "a public address",
  loopback: "a loopback address",
  private: "a private address",
  link_local: "a link-local address",
  unique_local: "a unique-local address",
  cgnat: "a shared (CGNAT) address",
  multicast: "a multicast address",
  unspecified: "an unspecified address",
  metadata: "a cloud metadata address",
  reserved: "a reserved address",
};

interface Network {
  bytes: Uint8Array;
  prefix: number;
}

function parseIPv4(text: string): Uint8Array | null {
  if (!isIPv4(text)) return null;
  return Uint8Array.from(text.split(".").map(Number));
}

function parseIPv6(text: string): Uint8Array | null {
  if (!isIPv6(text)) return null;
  let head = text;
  let v4: Uint8Array | null = null;
  const tail = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (tail) {
    v4 = parseIPv4(tail[1]!);
    if (!v4) return null;
    head = `${text.slice(0, -tail[1]!.length)}0:0`;
  }
  const [left = "", right] = head.split("::") as [string, string | undefined];
  const leftGroups = left ? left.split(":") : [];
  const rightGroups = right === undefined ? [] : right ? right.split(":") : [];
  const groups = right === undefined ? leftGroups : [...leftGroups, ...Array<string>(8 - leftGroups.length - rightGroups.length).fill("0"), ...rightGroups];
  if (groups.length !== 8) return null;
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    const value = parseInt(g, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  });
  if (v4) bytes.set(v4, 12);
  return bytes;
}

/** The 4 or 16 bytes of an IP address (brackets and an IPv6 zone are ignored), or null. */
export function parseIp(text: string): Uint8Array | null {
  const bare = text.trim().replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "");
  return parseIPv4(bare) ?? parseIPv6(bare);
}

function network(cidr: string): Network {
  const [address, prefix] = cidr.split("/") as [string, string];
  return { bytes: parseIp(address)!, prefix: Number(prefix) };
}

function inNetwork(bytes: Uint8Array, net: Network): boolean {
  if (bytes.length !== net.bytes.length) return false;
  let bits = net.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((bytes[i]! & mask) !== (net.bytes[i]! & mask)) return false;
  }
  return true;
}

/** First match wins, so the narrow metadata entries come before the ranges that hold them. */
const IPV4_RANGES: readonly (readonly [Network, AddressCategory])[] = (
  [
    ["169.254.169.254/32", "metadata"], // AWS, GCP, Azure, Oracle, OpenStack instance metadata
    ["169.254.170.2/32", "metadata"], // AWS ECS task metadata
    ["100.100.100.200/32", "metadata"], // Alibaba Cloud instance metadata
    ["0.0.0.0/8", "unspecified"], // RFC 1122 §3.2.1.3 "this network"
    ["10.0.0.0/8", "private"], // RFC 1918 §3
    ["100.64.0.0/10", "cgnat"], // RFC 6598 shared address space
    ["127.0.0.0/8", "loopback"], // RFC 1122 §3.2.1.3
    ["169.254.0.0/16", "link_local"], // RFC 3927
    ["172.16.0.0/12", "private"], // RFC 1918 §3
    ["192.0.0.0/24", "reserved"], // RFC 6890 §2.2.2 IETF protocol assignments
    ["192.0.2.0/24", "reserved"], // RFC 5737 documentation
    ["192.88.99.0/24", "reserved"], // RFC 7526 deprecated 6to4 relay anycast
    ["192.168.0.0/16", "private"], // RFC 1918 §3
    ["198.18.0.0/15", "reserved"], // RFC 2544 benchmarking
    ["198.51.100.0/24", "reserved"], // RFC 5737 documentation
    ["203.0.113.0/24", "reserved"], // RFC 5737 documentation
    ["224.0.0.0/4", "multicast"], // RFC 5771
    ["240.0.0.0/4", "reserved"], // RFC 1112 §4, 255.255.255.255 broadcast included (RFC 919)
  ] as const
).map(([cidr, category]) => [network(cidr), category] as const);

const IPV6_RANGES: readonly (readonly [Network, AddressCategory])[] = (
  [
    ["::/128", "unspecified"], // RFC 4291 §2.5.2
    ["::1/128", "loopback"], // RFC 4291 §2.5.3
    ["fd00:ec2::254/128", "metadata"], // AWS instance metadata over IPv6
    ["::/96", "reserved"], // RFC 4291 §2.5.5.1 deprecated IPv4-compatible addresses
    ["::ffff:0:0:0/96", "reserved"], // RFC 2765 §2.1 IPv4-translated addresses
    ["64:ff9b:1::/48", "private"], // RFC 8215 local-use IPv4/IPv6 translation
    ["100::/64", "reserved"], // RFC 6666 discard-only
    ["2001::/32", "reserved"], // RFC 4380 Teredo (the IPv4 server and client are hidden in it)
    ["2001:2::/48", "reserved"], // RFC 5180 benchmarking
    ["2001:db8::/32", "reserved"], // RFC 3849 documentation
    ["fc00::/7", "unique_local"], // RFC 4193
    ["fe80::/10", "link_local"], // RFC 4291 §2.5.6
    ["fec0::/10", "private"], // RFC 3879 deprecated site-local
    ["ff00::/8", "multicast"], // RFC 4291 §2.7
  ] as const
).map(([cidr, category]) => [network(cidr), category] as const);

/** RFC 4291 §2.4 / IANA: global unicast is allocated from 2000::/3 only; the rest is reserved. */
const IPV6_GLOBAL_UNICAST = network("2000::/3");
/** IPv6 forms that carry an IPv4 address, classified as that address. */
const IPV4_MAPPED = network("::ffff:0:0/96"); // RFC 4291 §2.5.5.2
const NAT64 = network("64:ff9b::/96"); // RFC 6052 §2.1 well-known prefix
const SIX_TO_FOUR = network("2002::/16"); // RFC 3056 §2

/** The IPv4 address an IPv6 address stands for (mapped, NAT64, 6to4), or the bytes unchanged. */
function embeddedIPv4(bytes: Uint8Array): Uint8Array {
  if (bytes.length !== 16) return bytes;
  if (inNetwork(bytes, IPV4_MAPPED) || inNetwork(bytes, NAT64)) return bytes.slice(12, 16);
  if (inNetwork(bytes, SIX_TO_FOUR)) return bytes.slice(2, 6);
  return bytes;
}

/** What kind of address `address` is (IPv4 or IPv6 text); "reserved" for anything unparsable. */
export function classifyAddress(address: string): AddressCategory {
  const parsed = parseIp(address);
  if (!parsed) return "reserved";
  const bytes = embeddedIPv4(parsed);
  const ranges = bytes.length === 4 ? IPV4_RANGES : IPV6_RANGES;
  for (const [net, category] of ranges) if (inNetwork(bytes, net)) return category;
  if (bytes.length === 16 && !inNetwork(bytes, IPV6_GLOBAL_UNICAST)) return "reserved";
  return "public";
}

/** RFC 6761 §6.3: "localhost" and names under ".localhost" are loopback; so are 127/8 and ::1. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  return parseIp(host) !== null && classifyAddress(host) === "loopback";
}

/**
 * The rule for loopback egress: allowed exactly when the issuer itself is a plain-http loopback URL
 * (`http://localhost:3000`, `http://127.0.0.1:<port>`), i.e. a development or test deployment
 * whose relying parties run on the same machine. A deployment with an https issuer never reaches
 * its own loopback interface through a registered URL.
 */
export function loopbackEgressAllowed(issuer: string): boolean {
  try {
    const url = new URL(issuer);
    return url.protocol === "http:" && isLoopbackHost(url.hostname);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Allow-list (AUTHLY_EGRESS_ALLOW_HOSTS)
// ---------------------------------------------------------------------------------------------

export interface EgressAllowList {
  /** Host names (lower case, no trailing dot) whose addresses are not checked by category. */
  hosts: ReadonlySet<string>;
  networks: readonly Network[];
}

const hostnamePattern = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/**
 * Parses a comma- or space-separated allow-list of host names, IP addresses and CIDR networks
 * (`rp.internal.example, 10.20.0.0/16, fd12:3456::/48`). Returns the list, or a message naming
 * the first bad entry.
 */
export function parseEgressAllowList(raw: string): EgressAllowList | string {
  const hosts = new Set<string>();
  const networks: Network[] = [];
  for (const entry of raw.split(/[\s,]+/).filter(Boolean)) {
    const [address, prefixText, extra] = entry.split("/");
    const bytes = parseIp(address!);
    if (bytes) {
      const max = bytes.length * 8;
      const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
      if (extra !== undefined || !(prefix >= 0 && prefix <= max)) return `"${entry}" is not a valid CIDR network`;
      // An IPv4-mapped network (::ffff:10.0.0.0/104) is the IPv4 network it maps (10.0.0.0/8).
      const mapped = bytes.length === 16 && prefix >= 96 && inNetwork(bytes, IPV4_MAPPED);
      networks.push(mapped ? { bytes: bytes.slice(12, 16), prefix: prefix - 96 } : { bytes, prefix });
      continue;
    }
    const host = entry.toLowerCase().replace(/\.$/, "");
    if (prefixText !== undefined || !hostnamePattern.test(host)) return `"${entry}" is neither a host name, an IP address nor a CIDR network`;
    hosts.add(host);
  }
  return { hosts, networks };
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** Why the policy refused a request before or while sending it. */
export type EgressRefusal = "invalid_url" | "scheme" | "credentials" | "address" | "redirect" | "too_large";
/** Why a permitted request did not produce a response. */
export type EgressFailure = "dns" | "timeout" | "network";

/**
 * Base of both egress errors. `message` is short and secret-free (a host or an address, never a
 * path, query or body), fit for logs and for `LogoutDelivery.lastError`.
 */
export abstract class EgressError extends Error {
  abstract readonly reason: EgressRefusal | EgressFailure;
  /** Also shown by the log redaction, which keeps `name`, `message` and `code` of errors. */
  get code(): string {
    return `EGRESS_${this.reason.toUpperCase()}`;
  }
}

/** The policy refused the request (scheme, address, redirect, size). */
export class EgressRefusedError extends EgressError {
  constructor(
    readonly reason: EgressRefusal,
    message: string,
  ) {
    super(`refused: ${message}`);
    this.name = "EgressRefusedError";
  }
}

/** A permitted request failed (name resolution, timeout, connection). */
export class EgressFailedError extends EgressError {
  constructor(
    readonly reason: EgressFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "EgressFailedError";
  }
}

// ---------------------------------------------------------------------------------------------
// The policy
// ---------------------------------------------------------------------------------------------

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has (tests inject their own: no real DNS). */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** getaddrinfo through Node (the system resolver, /etc/hosts included), every address. */
export const systemResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

export interface EgressRequest {
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  /** The most response body bytes accepted. */
  maxBytes: number;
  /** "fail" (default): a larger body is refused; "truncate": the body is cut at maxBytes and the connection closed. */
  overflow?: "fail" | "truncate";
  /** Total time for resolution, connection, headers and body. */
  timeoutMs: number;
}

export interface EgressResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The body was longer than maxBytes and was cut (overflow "truncate"). */
  truncated: boolean;
}

/** The outbound HTTP client every caller uses (tests may pass a stub). */
export interface Egress {
  fetch(url: string, request: EgressRequest): Promise<EgressResponse>;
}

export interface EgressPolicyOptions {
  /** Plain http and addresses to loopback hosts (see `loopbackEgressAllowed`). */
  allowLoopback: boolean;
  /** Operator allow-list entries (AUTHLY_EGRESS_ALLOW_HOSTS), already validated by the config. */
  allowHosts?: readonly string[];
  resolver?: Resolver;
}

interface Target {
  url: URL;
  /** Host name or IP literal without brackets. */
  host: string;
  secure: boolean;
}

export class EgressPolicy implements Egress {
  private readonly allowList: EgressAllowList;
  private readonly resolver: Resolver;

  constructor(private readonly options: EgressPolicyOptions) {
    const parsed = parseEgressAllowList((options.allowHosts ?? []).join(","));
    if (typeof parsed === "string") throw new Error(`AUTHLY_EGRESS_ALLOW_HOSTS: ${parsed}`);
    this.allowList = parsed;
    this.resolver = options.resolver ?? systemResolver;
  }

  /**
   * Sends one request under the policy. Resolves with the status, headers and (capped) body of any
   * non-redirect answer; callers decide which statuses they accept. Rejects with
   * EgressRefusedError or EgressFailedError, never with anything else.
   */
  async fetch(rawUrl: string, request: EgressRequest): Promise<EgressResponse> {
    const target = this.checkUrl(rawUrl);
    const deadline = new Deadline(request.timeoutMs);
    try {
      const addresses = await deadline.race(this.resolveChecked(target));
      return await this.send(target, addresses, request, deadline);
    } finally {
      deadline.clear();
    }
  }

  /** Scheme, credentials and, for plain http, a loopback host. */
  private checkUrl(rawUrl: string): Target {
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      throw new EgressRefusedError("invalid_url", "not an absolute URL");
    }
    if (url.username || url.password) throw new EgressRefusedError("credentials", "credentials in the URL");
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    if (url.protocol === "https:") return { url, host, secure: true };
    if (url.protocol === "http:") {
      if (this.options.allowLoopback && isLoopbackHost(host)) return { url, host, secure: false };
      throw new EgressRefusedError("scheme", `https is required (plain http only to loopback in a loopback deployment), host ${url.hostname}`);
    }
    throw new EgressRefusedError("scheme", `https is required, got ${url.protocol.replace(/:$/, "")}`);
  }

  /** Resolves the host once and checks every address; returns the ones the connection may use. */
  private async resolveChecked(target: Target): Promise<readonly ResolvedAddress[]> {
    let resolved: readonly ResolvedAddress[];
    if (isIP(target.host)) {
      resolved = [{ address: target.host, family: isIP(target.host) === 6 ? 6 : 4 }];
    } else {
      try {
        resolved = await this.resolver(target.host);
      } catch (error) {
        throw new EgressFailedError("dns", `cannot resolve ${target.host}`, { cause: error });
      }
      if (resolved.length === 0) throw new EgressFailedError("dns", `cannot resolve ${target.host}`);
    }
    // The family comes from the address itself: the connection must not be told otherwise.
    const addresses = resolved.map(({ address }) => ({ address, family: isIP(address) === 6 ? (6 as const) : (4 as const) }));
    // Every address must pass, so the one the connection uses is always a checked one.
    for (const { address } of addresses) {
      const category = classifyAddress(address);
      if (!this.permits(target, address, category)) {
        throw new EgressRefusedError("address", `${target.host === address ? address : `${target.host} resolves to ${address}`}, ${categoryLabel[category]}`);
      }
    }
    return addresses;
  }

  private permits(target: Target, address: string, category: AddressCategory): boolean {
    if (NEVER_ALLOWED.has(category)) return false;
    // Plain http goes to loopback addresses only, whatever the allow-list says.
    if (!target.secure) return category === "loopback";
    if (category === "public") return true;
    if (category === "loopback" && this.options.allowLoopback) return true;
    if (this.allowList.hosts.has(target.host.toLowerCase().replace(/\.$/, ""))) return true;
    const bytes = parseIp(address)!;
    const v4 = embeddedIPv4(bytes);
    return this.allowList.networks.some((net) => inNetwork(bytes, net) || inNetwork(v4, net));
  }

  private send(target: Target, addresses: readonly ResolvedAddress[], request: EgressRequest, deadline: Deadline): Promise<EgressResponse> {
    // The connection's lookup answers with the checked addresses: no second resolution. Given all
    // of them, Node tries the next one when a connection fails (autoSelectFamily, RFC 8305).
    const pinned: LookupFunction = (_hostname, options, callback) => {
      if (options.all) callback(null, addresses.map((a) => ({ ...a })));
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    };
    const body = request.body === undefined ? undefined : Buffer.from(request.body, "utf8");
    const headers: Record<string, string> = {
      "user-agent": "Authly",
      ...request.headers,
      host: target.url.host,
      // Compressed bodies would make maxBytes count compressed bytes only.
      "accept-encoding": "identity",
      connection: "close",
      ...(body ? { "content-length": String(body.length) } : {}),
    };
    const overflow = request.overflow ?? "fail";
    return new Promise<EgressResponse>((resolve, reject) => {
      let settled = false;
      const settle = (error: Error | null, value?: EgressResponse) => {
        if (settled) return;
        settled = true;
        deadline.onExpire(undefined);
        req.destroy();
        if (error) reject(error);
        else resolve(value!);
      };
      let req: http.ClientRequest;
      try {
        req = (target.secure ? https : http).request({
          protocol: target.url.protocol,
          hostname: target.host,
          port: target.url.port || undefined,
          path: `${target.url.pathname}${target.url.search}`,
          method: request.method ?? "GET",
          headers,
          lookup: pinned,
          // A fresh connection per request: a pooled socket could lead to an address checked for another host.
          agent: false,
          ...(target.secure && !isIP(target.host) ? { servername: target.host } : {}),
        });
      } catch (error) {
        // Node validates request options synchronously (header values, ...): still an egress error.
        settled = true;
        reject(networkFailure(error));
        return;
      }
      deadline.onExpire(() => settle(new EgressFailedError("timeout", "timeout")));
      req.on("error", (error) => settle(networkFailure(error)));
      req.on("response", (res) => {
        const status = res.statusCode ?? 0;
        // No redirects: the Location target was never checked.
        if (status >= 300 && status < 400) {
          settle(new EgressRefusedError("redirect", `redirect (HTTP ${status})`));
          return;
        }
        const declared = Number(res.headers["content-length"]);
        if (overflow === "fail" && Number.isFinite(declared) && declared > request.maxBytes) {
          settle(new EgressRefusedError("too_large", `response larger than ${request.maxBytes} bytes`));
          return;
        }
        const chunks: Buffer[] = [];
        let received = 0;
        res.on("data", (chunk: Buffer) => {
          if (settled) return;
          if (received + chunk.length > request.maxBytes) {
            if (overflow === "fail") {
              settle(new EgressRefusedError("too_large", `response larger than ${request.maxBytes} bytes`));
            } else {
              chunks.push(chunk.subarray(0, request.maxBytes - received));
              settle(null, { status, headers: res.headers, body: Buffer.concat(chunks), truncated: true });
            }
            return;
          }
          received += chunk.length;
          chunks.push(chunk);
        });
        res.on("end", () => settle(null, { status, headers: res.headers, body: Buffer.concat(chunks), truncated: false }));
        res.on("error", (error) => settle(networkFailure(error)));
        // After "end" this is a no-op; before it, the peer closed the connection mid-body.
        res.on("close", () => settle(new EgressFailedError("network", "network error (connection closed)")));
      });
      req.end(body);
    });
  }
}

function networkFailure(error: unknown): EgressFailedError {
  const code = (error as { code?: unknown } | null)?.code;
  const shown = typeof code === "string" && /^[A-Z0-9_]{1,40}$/.test(code) ? ` (${code})` : "";
  return new EgressFailedError("network", `network error${shown}`, { cause: error });
}

/** One total timeout over several steps. */
class Deadline {
  private readonly timer: NodeJS.Timeout;
  private expired = false;
  private listener: (() => void) | undefined;

  constructor(ms: number) {
    this.timer = setTimeout(() => {
      this.expired = true;
      this.listener?.();
    }, ms);
  }

  /** Rejects with a timeout when the deadline passes first. */
  race<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timeout = () => reject(new EgressFailedError("timeout", "timeout"));
      if (this.expired) return timeout();
      this.listener = timeout;
      promise.then(resolve, reject).finally(() => {
        if (this.listener === timeout) this.listener = undefined;
      });
    });
  }

  /** Calls `listener` when the deadline passes (at once when it has); undefined removes it. */
  onExpire(listener: (() => void) | undefined): void {
    this.listener = listener;
    if (listener && this.expired) listener();
  }

  clear(): void {
    clearTimeout(this.timer);
    this.listener = undefined;
  }
}
