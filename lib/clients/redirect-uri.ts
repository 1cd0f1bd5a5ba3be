/** Checks a redirect URI at registration time. Returns an error message, or undefined if valid. */
export function checkRedirectUri(value: string, applicationType: "web" | "native"): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "must be an absolute URI"; // RFC 6749 §3.1.2
  }
  if (value.includes("#")) return "must not contain a fragment"; // RFC 6749 §3.1.2
  if (url.username || url.password) return "must not contain credentials";
  const loopback = url.hostname === "127.0.0.1" || url.hostname === "[::1]" || url.hostname === "localhost";
  if (url.protocol === "https:") return undefined;
  if (url.protocol === "http:") {
    // OAuth 2.1 §2.3.1 / RFC 8252 §7.3: plain http only for loopback redirects.
    return loopback ? undefined : "must use https (http is allowed only for loopback addresses)";
  }
  if (url.protocol === "javascript:" || url.protocol === "data:" || url.protocol === "file:" || url.protocol === "vbscript:") {
    return `the ${url.protocol} scheme is not allowed`;
  }
  // RFC 8252 §7.1: private-use URI schemes, reverse domain name, for native apps only.
  if (applicationType !== "native") return "custom URI schemes are allowed only for native clients";
  if (!url.protocol.slice(0, -1).includes(".")) {
    return "a private-use scheme must be a reverse domain name such as com.example.app (RFC 8252 §7.1)";
  }
  return undefined;
}
