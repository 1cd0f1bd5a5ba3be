// Small HTTP and text helpers shared by the server and workload modules.
export const basic = (id, secret) => "Basic " + Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64");

export async function httpRequest(url, { method = "GET", body, auth } = {}) {
  const headers = {};
  if (body !== undefined) headers["content-type"] = "application/x-www-form-urlencoded";
  if (auth) headers.authorization = auth;
  const res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, headers: res.headers };
}

/** The protected header of a JWT, or undefined for anything else. */
export function jwtHeader(token) {
  try {
    const [h, p, s] = token.split(".");
    if (!h || !p || s === undefined) return undefined;
    return JSON.parse(Buffer.from(h, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}

/** Parse JSON printed by a command, tolerating notices around it. */
export function parseJsonOutput(text) {
  const t = text.trim();
  try {
    return JSON.parse(t);
  } catch {
    /* fall through */
  }
  for (const [open, close] of [["{", "}"], ["[", "]"]]) {
    const a = t.indexOf(open);
    const b = t.lastIndexOf(close);
    if (a >= 0 && b > a) {
      try {
        return JSON.parse(t.slice(a, b + 1));
      } catch {
        /* next */
      }
    }
  }
  return undefined;
}

/** First string value found under any of `keys`, searching nested objects too. */
export function findMember(value, keys) {
  if (!value || typeof value !== "object") return undefined;
  for (const k of keys) if (typeof value[k] === "string" && value[k]) return value[k];
  for (const v of Object.values(value)) {
    const found = findMember(v, keys);
    if (found) return found;
  }
  return undefined;
}
