import { isIPv6 } from "node:net";

/**
 * The unit that per-address limits (sign-in lockout, protocol rate limits) apply to: an IPv4
 * address, or the /64 network of an IPv6 address (one subscriber usually holds a whole /64,
 * RFC 6177 §2, so single IPv6 addresses are free to vary and must not each get a counter).
 */
export function addressBlock(ipAddress: string): string {
  // The common case, an IPv4 address as lib/http/client-address.ts writes it: nothing to do.
  if (!ipAddress.includes(":")) return ipAddress.trim();
  const address = ipAddress.trim().toLowerCase().replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head = "", tail = ""] = address.split("::");
  const headGroups = head ? head.split(":") : [];
  const tailGroups = address.includes("::") ? (tail ? tail.split(":") : []) : [];
  // An embedded IPv4 tail counts as two groups; it never reaches the first four.
  const tailLength = tailGroups.reduce((n, g) => n + (g.includes(".") ? 2 : 1), 0);
  const groups = address.includes("::") ? [...headGroups, ...Array<string>(8 - headGroups.length - tailLength).fill("0"), ...tailGroups] : headGroups;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}
