import { parseIp } from "./egress";

/**
 * The unit that per-address limits (sign-in lockout, protocol rate limits) apply to: an IPv4
 * address, or the /64 network of an IPv6 address (one subscriber usually holds a whole /64,
 * RFC 6177 §2, so single IPv6 addresses are free to vary and must not each get a counter).
 */
export function addressBlock(ipAddress: string): string {
  // The common case, an IPv4 address as lib/http/client-address.ts writes it: nothing to do.
  if (!ipAddress.includes(":")) return ipAddress.trim();
  const address = ipAddress.trim().toLowerCase().replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const bytes = parseIp(address);
  if (!bytes) return address;
  // An IPv4-mapped address (RFC 4291 §2.5.5.2) is its IPv4 address.
  if (bytes.length === 16 && bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.subarray(12).join(".");
  const groups = [0, 2, 4, 6].map((i) => ((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return `${groups.join(":")}::/64`;
}
