import { isIPv4, isIPv6 } from "node:net";

/**
 * The one decision of "who is the client" for both doors of the production server: the protocol
 * door (lib/http/pipeline.ts `clientAddress`) and the page door (lib/http/page-door.ts, which hands
 * the result to pages and server actions in an internal request header).
 *
 * - `trustProxy` false (AUTHLY_TRUST_PROXY=false, the default): the socket's peer address. Any
 *   X-Forwarded-For the client sent is ignored: it is whatever the client chose to write.
 * - `trustProxy` true: the first X-Forwarded-For hop (the client as the outermost proxy saw it),
 *   falling back to the socket's peer when the header is missing or empty. Only sound behind a
 *   reverse proxy that overwrites the header (docs/security.md).
 *
 * The result is normalised (IPv4-mapped IPv6 as IPv4, IPv6 in its RFC 5952 §4 form, no brackets or
 * port) and at most MAX_ADDRESS_LENGTH characters, so per-address counters and audit rows see one
 * spelling per address. Undefined when there is nothing to go on.
 */
export function clientAddress(input: { socketAddress: string | null | undefined; forwardedFor: string | null | undefined; trustProxy: boolean }): string | undefined {
  if (input.trustProxy && input.forwardedFor) {
    const comma = input.forwardedFor.indexOf(",");
    const first = normalizeAddress(comma < 0 ? input.forwardedFor : input.forwardedFor.slice(0, comma));
    if (first) return first;
  }
  return input.socketAddress ? normalizeAddress(input.socketAddress) : undefined;
}

/** The longest address kept (an IPv6 address with a zone id fits). */
export const MAX_ADDRESS_LENGTH = 64;

const BRACKETED = /^\[([^\]]*)\](?::\d{1,5})?$/;
const IPV4_WITH_PORT = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/;
const MAPPED_IPV4 = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

/**
 * One address in one spelling: `::ffff:1.2.3.4` -> `1.2.3.4` (RFC 4291 §2.5.5.2),
 * `2001:0DB8::0001` -> `2001:db8::1` (RFC 5952 §4), `[::1]:443` -> `::1`, `1.2.3.4:80` -> `1.2.3.4`.
 * A value that is no IP address (a proxy's "unknown" or obfuscated identifier, RFC 7239 §6) is kept
 * as visible ASCII only. At most MAX_ADDRESS_LENGTH characters; undefined when nothing is left.
 */
export function normalizeAddress(raw: string): string | undefined {
  // The common case, a plain IPv4 socket address, without the regular expressions below.
  if (isIPv4(raw)) return raw;
  if (raw.startsWith("::ffff:") && isIPv4(raw.slice(7))) return raw.slice(7); // dual-stack socket
  let value = raw.trim();
  const bracketed = BRACKETED.exec(value);
  if (bracketed) value = bracketed[1]!;
  else {
    const withPort = IPV4_WITH_PORT.exec(value);
    if (withPort) value = withPort[1]!;
  }
  if (isIPv4(value)) return value;
  // The common spelling of an IPv4 peer on a dual-stack socket, without the general IPv6 path.
  if (value.length > 7 && value.slice(0, 7).toLowerCase() === "::ffff:" && isIPv4(value.slice(7))) return value.slice(7);
  if (isIPv6(value)) {
    // A zone id (RFC 6874, link-local peers) stays as the suffix of the canonical address.
    const percent = value.indexOf("%");
    const zone = percent < 0 ? "" : value.slice(percent).replace(/[^\x21-\x7e]/g, "");
    const canonical = canonicalIPv6((percent < 0 ? value : value.slice(0, percent)).toLowerCase());
    const mapped = MAPPED_IPV4.exec(canonical);
    if (mapped) {
      const high = parseInt(mapped[1]!, 16);
      const low = parseInt(mapped[2]!, 16);
      return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
    }
    return (canonical + zone).slice(0, MAX_ADDRESS_LENGTH);
  }
  const token = value.replace(/[^\x21-\x7e]/g, "").slice(0, MAX_ADDRESS_LENGTH);
  return token || undefined;
}

/** RFC 5952 §4 text of an IPv6 address, as the WHATWG URL parser writes hosts (lower case, longest zero run compressed). */
function canonicalIPv6(address: string): string {
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address;
  }
}
