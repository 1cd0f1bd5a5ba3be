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

/** `http://127.0.0.1[:port]rest` or `http://[::1][:port]rest`: the loopback IP literal forms of RFC 8252 §7.3. */
const loopbackIpLiteral = /^(http:\/\/(?:127\.0\.0\.1|\[::1\]))(?::(\d{1,5}))?([/?][^#]*)?$/;

function withoutLoopbackPort(uri: string): string | undefined {
  const m = loopbackIpLiteral.exec(uri);
  if (!m) return undefined;
  if (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535)) return undefined;
  return `${m[1]}${m[3] ?? ""}`;
}

/**
 * Finds the registered redirect URI that a requested one matches, or undefined.
 *
 * OAuth 2.1 §4.1.1 / RFC 9700 §4.1.3: simple string comparison (RFC 3986 §6.2.1), no
 * normalization, no wildcards, no prefix matching.
 * RFC 8252 §7.3: for a native client's loopback IP literal redirect URI (`http://127.0.0.1` or
 * `http://[::1]`) the port may differ, because the app picks an ephemeral port at request time;
 * every other character must still be equal. `localhost` gets no such exception (RFC 8252 §8.3).
 */
export function matchRedirectUri(
  requested: string,
  registered: readonly string[],
  applicationType: string,
): string | undefined {
  if (registered.includes(requested)) return requested;
  if (applicationType !== "native") return undefined;
  const requestedWithoutPort = withoutLoopbackPort(requested);
  if (requestedWithoutPort === undefined) return undefined;
  return registered.find((uri) => withoutLoopbackPort(uri) === requestedWithoutPort);
}

/** RFC 3986 §4.3 absolute-URI (scheme ":" hier-part [ "?" query ]) with no fragment (RFC 8707 §2). */
export function isAbsoluteUriWithoutFragment(value: string): boolean {
  if (value.includes("#") || !/^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$/.test(value)) return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}
