/**
 * Malformed and hostile requests against every protocol endpoint, table-driven.
 *
 * Each case is sent as a raw `Request` through `runRoute`, the pipeline both doors (server.ts and
 * the Next route handlers) use, and must produce exactly the expected status and error code, never
 * a 500, never a stack trace or an internal message, and `Cache-Control: no-store` on the token,
 * introspection and revocation endpoints (RFC 6749 §5.1, RFC 7662 §2.2, RFC 7009 §2.2).
 *
 * The authorization endpoint answers in two ways (RFC 6749 §4.1.2.1, OAuth 2.1 §4.1.2.1): while
 * the client or its redirect URI is not established, an HTML page with no Location; afterwards, a
 * 303 to the registered redirect URI carrying `error`, `state` (when sent) and `iss` (RFC 9207).
 */
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIGNED_OUT_PATH } from "../lib/oidc/logout/handler";
import { isAcceptableParam } from "../lib/http/input";
import { runRoute } from "../lib/http/pipeline";
import { findRoute } from "../lib/http/routes";
import { JWT_BEARER_ASSERTION_TYPE } from "../lib/oauth/client-auth";
import { runStartupTasks } from "../lib/server/first-start";
import { basic, pkcePair, storeAuthorizationCode } from "./support/oauth";
import { createTestContainer, databaseKind, type TestContext } from "./support/test-env";

const ISSUER = "http://localhost:3000";
const REDIRECT = "https://app.example.com/cb";
const TWO_A = "https://two.example.com/a";
const NATIVE = "http://127.0.0.1/callback";
const NO_CODE_REDIRECT = "https://service.example.com/cb";

interface Fixtures {
  /** Confidential, client_secret_basic, client_credentials only, resources ["urn:example:api"]. */
  svc: { id: string; secret: string };
  /** Confidential, client_secret_post, client_credentials only. */
  post: { id: string; secret: string };
  /** Confidential, client_secret_basic, authorization_code + refresh_token, one redirect URI. */
  web: { id: string; secret: string; rowId: string };
  /** Public, authorization_code + refresh_token. */
  spa: { id: string; rowId: string };
  /** private_key_jwt, client_credentials. */
  jwt: { id: string; key: CryptoKey };
  /** Two registered redirect URIs. */
  two: { id: string };
  /** A native client with a loopback redirect URI (RFC 8252 §7.3). */
  native: { id: string };
  /** A redirect URI but no authorization_code grant. */
  noCode: { id: string };
  disabled: { id: string };
  userId: string;
  /** A live refresh token of `web` with scope "api". */
  refreshToken: string;
  /** A live access token of `svc` (aud: its registered resource urn:example:api only). */
  svcAccessToken: string;
  /** A live access token of `post` (no registered resources: aud is the issuer), scope "api". */
  postAccessToken: string;
  /** A fresh authorization code of `web` (scope "api", redirect_uri REDIRECT), with its verifier. */
  webCode(): Promise<{ code: string; verifier: string }>;
  /** A fresh authorization code of `spa`. */
  spaCode(): Promise<{ code: string; verifier: string }>;
}

type Lazy<T> = T | ((f: Fixtures) => T | Promise<T>);

interface MalformedCase {
  name: string;
  endpoint: string;
  method: string;
  headers?: Lazy<Record<string, string>>;
  /** Raw body. A string is sent as application/x-www-form-urlencoded unless `headers` name a type; bytes are sent with no type. */
  body?: Lazy<string | Uint8Array>;
  /** Raw query string (without "?"). */
  query?: Lazy<string>;
  expectStatus: number;
  expectError?: string;
  /** true: `WWW-Authenticate: Basic ...` (RFC 6749 §5.2, client tried the Authorization header); false: none. */
  expectChallenge?: boolean;
  /** Authorization endpoint 303: the redirect URI the error goes to. */
  expectRedirectTo?: string;
  /** Text the response must not echo (e.g. an unregistered redirect URI). */
  mustNotContain?: string[];
}

// ---------------------------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------------------------

/** Form/query encoding that can repeat a parameter (arrays) and keep an empty value. */
function enc(params: Record<string, string | string[] | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) search.append(name, v);
  }
  return search.toString();
}

const bytes = (text: string) => new TextEncoder().encode(text);
const long = (n: number, c = "a") => c.repeat(n);
const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

const svcAuth = (f: Fixtures) => ({ authorization: basic(f.svc.id, f.svc.secret) });
const webAuth = (f: Fixtures) => ({ authorization: basic(f.web.id, f.web.secret) });

/** A private_key_jwt client assertion (RFC 7523 §3); `key` defaults to the registered one. */
async function assertion(f: Fixtures, claims: Record<string, unknown> = {}, key?: CryptoKey): Promise<string> {
  const now = Math.floor(Date.UTC(2026, 10, 29, 12, 0, 0) / 1000); // the test clock
  return new SignJWT({ jti: crypto.randomUUID(), iss: f.jwt.id, sub: f.jwt.id, aud: `${ISSUER}/oauth/token`, iat: now, exp: now + 60, ...claims })
    .setProtectedHeader({ alg: "ES256", kid: "k1" })
    .sign(key ?? f.jwt.key);
}

/** An unsigned ("alg":"none") JWT. */
function unsignedJwt(payload: Record<string, unknown>): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "none" })}.${part(payload)}.`;
}

/** A valid authorization request for `client_id`, with overrides (undefined removes a parameter). */
function authz(clientId: string, overrides: Record<string, string | string[] | undefined> = {}, redirectUri: string | undefined = REDIRECT): string {
  return enc({
    client_id: clientId,
    response_type: "code",
    redirect_uri: redirectUri,
    scope: "api",
    state: "xyz-state",
    code_challenge: pkcePair().challenge,
    code_challenge_method: "S256",
    ...overrides,
  });
}

let strangerKey: CryptoKey;

// ---------------------------------------------------------------------------------------------
// The cases
// ---------------------------------------------------------------------------------------------

const T = "/oauth/token";
const I = "/oauth/introspect";
const R = "/oauth/revoke";
const A = "/oauth/authorize";
const RESUME = "/oauth/authorize/resume";
const JWKS = "/oauth/jwks";
const DISCOVERY = "/.well-known/oauth-authorization-server";
const OIDC_DISCOVERY = "/.well-known/openid-configuration";
const USERINFO = "/oidc/userinfo";

const cc = (extra: Record<string, string | string[] | undefined> = {}) => enc({ grant_type: "client_credentials", ...extra });

const tokenCases: MalformedCase[] = [
  // grant_type
  { name: "empty body", endpoint: T, method: "POST", headers: svcAuth, body: "", expectStatus: 400, expectError: "invalid_request" },
  { name: "body of separators only", endpoint: T, method: "POST", headers: svcAuth, body: "&&&=&", expectStatus: 400, expectError: "invalid_request" },
  { name: "missing grant_type", endpoint: T, method: "POST", headers: svcAuth, body: enc({ scope: "api" }), expectStatus: 400, expectError: "invalid_request" },
  { name: "empty grant_type (treated as omitted, RFC 6749 §3.1)", endpoint: T, method: "POST", headers: svcAuth, body: "grant_type=", expectStatus: 400, expectError: "invalid_request" },
  { name: "grant_type with a leading space", endpoint: T, method: "POST", headers: svcAuth, body: "grant_type=%20client_credentials", expectStatus: 400, expectError: "unsupported_grant_type" },
  { name: "grant_type=password (not in OAuth 2.1)", endpoint: T, method: "POST", headers: svcAuth, body: enc({ grant_type: "password", username: "u", password: "p" }), expectStatus: 400, expectError: "unsupported_grant_type" },
  { name: "grant_type=implicit", endpoint: T, method: "POST", headers: svcAuth, body: enc({ grant_type: "implicit" }), expectStatus: 400, expectError: "unsupported_grant_type" },
  { name: "grant_type=device_code URN", endpoint: T, method: "POST", headers: svcAuth, body: enc({ grant_type: "urn:ietf:params:oauth:grant-type:device_code", device_code: "x" }), expectStatus: 400, expectError: "unsupported_grant_type" },
  { name: "grant_type=jwt-bearer URN", endpoint: T, method: "POST", headers: svcAuth, body: enc({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: "x.y.z" }), expectStatus: 400, expectError: "unsupported_grant_type" },
  { name: "grant_type=token-exchange URN", endpoint: T, method: "POST", headers: svcAuth, body: enc({ grant_type: "urn:ietf:params:oauth:grant-type:token-exchange" }), expectStatus: 400, expectError: "unsupported_grant_type" },
  { name: "grant_type=__proto__", endpoint: T, method: "POST", headers: svcAuth, body: enc({ grant_type: "__proto__" }), expectStatus: 400, expectError: "unsupported_grant_type" },
  { name: "grant_type=constructor", endpoint: T, method: "POST", headers: svcAuth, body: enc({ grant_type: "constructor" }), expectStatus: 400, expectError: "unsupported_grant_type" },
  { name: "grant_type=hasOwnProperty", endpoint: T, method: "POST", headers: svcAuth, body: enc({ grant_type: "hasOwnProperty" }), expectStatus: 400, expectError: "unsupported_grant_type" },
  { name: "grant_type in upper case", endpoint: T, method: "POST", headers: svcAuth, body: enc({ grant_type: "CLIENT_CREDENTIALS" }), expectStatus: 400, expectError: "unsupported_grant_type" },
  { name: "grant_type with a trailing space", endpoint: T, method: "POST", headers: svcAuth, body: enc({ grant_type: "client_credentials " }), expectStatus: 400, expectError: "unsupported_grant_type" },
  { name: "grant_type of a single space", endpoint: T, method: "POST", headers: svcAuth, body: "grant_type=+", expectStatus: 400, expectError: "unsupported_grant_type" },
  // The edge text rule (lib/http/input.ts) refuses a control character in any parameter first.
  { name: "grant_type with a NUL byte", endpoint: T, method: "POST", headers: svcAuth, body: "grant_type=client_credentials%00", expectStatus: 400, expectError: "invalid_request" },
  { name: "grant_type with an invalid percent escape", endpoint: T, method: "POST", headers: svcAuth, body: "grant_type=client%ZZcredentials", expectStatus: 400, expectError: "unsupported_grant_type" },
  { name: "duplicated grant_type, same value (RFC 6749 §3.2)", endpoint: T, method: "POST", headers: svcAuth, body: "grant_type=client_credentials&grant_type=client_credentials", expectStatus: 400, expectError: "invalid_request" },
  { name: "duplicated grant_type, different values", endpoint: T, method: "POST", headers: svcAuth, body: "grant_type=client_credentials&grant_type=refresh_token", expectStatus: 400, expectError: "invalid_request" },
  { name: "oversized grant_type (9 KB)", endpoint: T, method: "POST", headers: svcAuth, body: enc({ grant_type: long(9000) }), expectStatus: 400, expectError: "invalid_request" },
  { name: "too many parameters (65)", endpoint: T, method: "POST", headers: svcAuth, body: cc() + "&" + Array.from({ length: 64 }, (_, i) => `p${i}=1`).join("&"), expectStatus: 400, expectError: "invalid_request" },
  { name: "a parameter name of 200 characters", endpoint: T, method: "POST", headers: svcAuth, body: cc() + `&${long(200, "n")}=1`, expectStatus: 400, expectError: "invalid_request" },

  // body encoding and media type
  { name: "application/json body (415)", endpoint: T, method: "POST", headers: (f) => ({ ...svcAuth(f), "content-type": "application/json" }), body: JSON.stringify({ grant_type: "client_credentials" }), expectStatus: 415, expectError: "invalid_request" },
  { name: "text/plain body (415)", endpoint: T, method: "POST", headers: (f) => ({ ...svcAuth(f), "content-type": "text/plain" }), body: cc(), expectStatus: 415, expectError: "invalid_request" },
  { name: "multipart/form-data body (415)", endpoint: T, method: "POST", headers: (f) => ({ ...svcAuth(f), "content-type": "multipart/form-data; boundary=x" }), body: '--x\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nclient_credentials\r\n--x--\r\n', expectStatus: 415, expectError: "invalid_request" },
  { name: "a look-alike media type (415)", endpoint: T, method: "POST", headers: (f) => ({ ...svcAuth(f), "content-type": "application/x-www-form-urlencodedx" }), body: cc(), expectStatus: 415, expectError: "invalid_request" },
  { name: "no Content-Type at all (415)", endpoint: T, method: "POST", headers: svcAuth, body: bytes(cc()), expectStatus: 415, expectError: "invalid_request" },
  { name: "POST with neither body nor Content-Type (415)", endpoint: T, method: "POST", headers: svcAuth, expectStatus: 415, expectError: "invalid_request" },
  { name: "upper-case media type is accepted, but the body lacks grant_type", endpoint: T, method: "POST", headers: (f) => ({ ...svcAuth(f), "content-type": "APPLICATION/X-WWW-FORM-URLENCODED; charset=UTF-8" }), body: "scope=api", expectStatus: 400, expectError: "invalid_request" },
  { name: "invalid UTF-8 (streamed body)", endpoint: T, method: "POST", headers: (f) => ({ ...svcAuth(f), "content-type": "application/x-www-form-urlencoded" }), body: new Uint8Array([...bytes("grant_type=client_credentials&scope="), 0xc3, 0x28, 0xff]), expectStatus: 400, expectError: "invalid_request" },
  { name: "invalid UTF-8 (with Content-Length)", endpoint: T, method: "POST", headers: (f) => ({ ...svcAuth(f), "content-type": "application/x-www-form-urlencoded", "content-length": "40" }), body: new Uint8Array([...bytes("grant_type=client_credentials&scope=ap"), 0xe2, 0x82]), expectStatus: 400, expectError: "invalid_request" },
  { name: "70 KB body, streamed (413)", endpoint: T, method: "POST", headers: svcAuth, body: cc({ pad: long(70 * 1024) }), expectStatus: 413, expectError: "invalid_request" },
  { name: "70 KB body, declared by Content-Length (413)", endpoint: T, method: "POST", headers: (f) => ({ ...svcAuth(f), "content-length": String(70 * 1024 + 30) }), body: cc({ pad: long(70 * 1024) }), expectStatus: 413, expectError: "invalid_request" },

  // methods
  { name: "GET (405)", endpoint: T, method: "GET", query: cc(), expectStatus: 405, expectError: "method_not_allowed" },
  { name: "PUT (405)", endpoint: T, method: "PUT", headers: svcAuth, body: cc(), expectStatus: 405, expectError: "method_not_allowed" },
  { name: "DELETE (405)", endpoint: T, method: "DELETE", expectStatus: 405, expectError: "method_not_allowed" },
  { name: "HEAD (405)", endpoint: T, method: "HEAD", expectStatus: 405 },
  { name: "OPTIONS (405)", endpoint: T, method: "OPTIONS", expectStatus: 405, expectError: "method_not_allowed" },

  // client authentication
  { name: "no client authentication at all", endpoint: T, method: "POST", body: cc(), expectStatus: 401, expectError: "invalid_client", expectChallenge: false },
  { name: "unknown client_id without a secret", endpoint: T, method: "POST", body: cc({ client_id: "nobody" }), expectStatus: 401, expectError: "invalid_client", expectChallenge: false },
  { name: "Basic credentials without a colon", endpoint: T, method: "POST", headers: { authorization: `Basic ${b64("just-an-id")}` }, body: cc(), expectStatus: 401, expectError: "invalid_client", expectChallenge: true },
  { name: "Basic credentials that are not base64", endpoint: T, method: "POST", headers: { authorization: "Basic !!!not*base64!!!" }, body: cc(), expectStatus: 401, expectError: "invalid_client", expectChallenge: true },
  { name: "Basic credentials with an empty client id", endpoint: T, method: "POST", headers: { authorization: `Basic ${b64(":secret")}` }, body: cc(), expectStatus: 401, expectError: "invalid_client", expectChallenge: true },
  { name: "Basic credentials with an empty secret", endpoint: T, method: "POST", headers: (f) => ({ authorization: `Basic ${b64(`${f.svc.id}:`)}` }), body: cc(), expectStatus: 401, expectError: "invalid_client", expectChallenge: true },
  { name: "Basic credentials with a broken percent escape", endpoint: T, method: "POST", headers: { authorization: `Basic ${b64("%zz:secret")}` }, body: cc(), expectStatus: 401, expectError: "invalid_client", expectChallenge: true },
  { name: "Basic credentials with a 600-character secret", endpoint: T, method: "POST", headers: (f) => ({ authorization: basic(f.svc.id, long(600)) }), body: cc(), expectStatus: 401, expectError: "invalid_client", expectChallenge: true },
  { name: "Basic with the wrong secret", endpoint: T, method: "POST", headers: (f) => ({ authorization: basic(f.svc.id, "wrong-secret") }), body: cc(), expectStatus: 401, expectError: "invalid_client", expectChallenge: true },
  { name: "Basic with an unknown client", endpoint: T, method: "POST", headers: { authorization: basic("nobody", "whatever") }, body: cc(), expectStatus: 401, expectError: "invalid_client", expectChallenge: true },
  { name: "Basic for a client registered for client_secret_post", endpoint: T, method: "POST", headers: (f) => ({ authorization: basic(f.post.id, f.post.secret) }), body: cc(), expectStatus: 401, expectError: "invalid_client", expectChallenge: true },
  { name: "Basic for a private_key_jwt client", endpoint: T, method: "POST", headers: (f) => ({ authorization: basic(f.jwt.id, "guess") }), body: cc(), expectStatus: 401, expectError: "invalid_client", expectChallenge: true },
  { name: "Bearer token in the Authorization header", endpoint: T, method: "POST", headers: { authorization: "Bearer some-access-token" }, body: cc(), expectStatus: 401, expectError: "invalid_client", expectChallenge: true },
  { name: "Digest scheme in the Authorization header", endpoint: T, method: "POST", headers: { authorization: 'Digest username="x"' }, body: cc(), expectStatus: 401, expectError: "invalid_client", expectChallenge: true },
  { name: "Basic header and client_secret in the body (two methods, RFC 6749 §2.3)", endpoint: T, method: "POST", headers: svcAuth, body: (f) => cc({ client_id: f.post.id, client_secret: f.post.secret }), expectStatus: 400, expectError: "invalid_request" },
  { name: "Basic header and a client assertion (two methods)", endpoint: T, method: "POST", headers: svcAuth, body: async (f) => cc({ client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: await assertion(f) }), expectStatus: 400, expectError: "invalid_request" },
  { name: "client_secret and a client assertion in the body (two methods)", endpoint: T, method: "POST", body: async (f) => cc({ client_id: f.post.id, client_secret: f.post.secret, client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: await assertion(f) }), expectStatus: 400, expectError: "invalid_request" },
  { name: "Basic header with a different client_id in the body", endpoint: T, method: "POST", headers: svcAuth, body: (f) => cc({ client_id: f.post.id }), expectStatus: 400, expectError: "invalid_request" },
  { name: "client_secret_post with the wrong secret", endpoint: T, method: "POST", body: (f) => cc({ client_id: f.post.id, client_secret: "wrong" }), expectStatus: 401, expectError: "invalid_client", expectChallenge: false },
  { name: "client_secret without client_id", endpoint: T, method: "POST", body: (f) => cc({ client_secret: f.post.secret }), expectStatus: 401, expectError: "invalid_client", expectChallenge: false },
  { name: "client_secret_post for a client registered for Basic", endpoint: T, method: "POST", body: (f) => cc({ client_id: f.svc.id, client_secret: f.svc.secret }), expectStatus: 401, expectError: "invalid_client", expectChallenge: false },
  { name: "client_secret for a public client", endpoint: T, method: "POST", body: (f) => cc({ client_id: f.spa.id, client_secret: "x" }), expectStatus: 401, expectError: "invalid_client", expectChallenge: false },
  { name: "duplicated client_id", endpoint: T, method: "POST", body: (f) => cc({ client_id: [f.post.id, f.post.id], client_secret: f.post.secret }), expectStatus: 400, expectError: "invalid_request" },
  { name: "duplicated client_secret", endpoint: T, method: "POST", body: (f) => cc({ client_id: f.post.id, client_secret: [f.post.secret, f.post.secret] }), expectStatus: 400, expectError: "invalid_request" },
  { name: "oversized client_secret (9 KB)", endpoint: T, method: "POST", body: (f) => cc({ client_id: f.post.id, client_secret: long(9000) }), expectStatus: 400, expectError: "invalid_request" },
  { name: "oversized client_id (300 characters) without a secret", endpoint: T, method: "POST", body: cc({ client_id: long(300) }), expectStatus: 401, expectError: "invalid_client", expectChallenge: false },

  // private_key_jwt
  { name: "client_assertion_type is not the JWT bearer URN", endpoint: T, method: "POST", body: async (f) => cc({ client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:saml2-bearer", client_assertion: await assertion(f) }), expectStatus: 400, expectError: "invalid_request" },
  { name: "client_assertion_type without client_assertion", endpoint: T, method: "POST", body: cc({ client_assertion_type: JWT_BEARER_ASSERTION_TYPE }), expectStatus: 400, expectError: "invalid_request" },
  { name: "client_assertion without client_assertion_type", endpoint: T, method: "POST", body: async (f) => cc({ client_assertion: await assertion(f) }), expectStatus: 400, expectError: "invalid_request" },
  { name: "client_assertion that is not a JWT", endpoint: T, method: "POST", body: cc({ client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: "garbage" }), expectStatus: 401, expectError: "invalid_client", expectChallenge: false },
  { name: "client_assertion of three garbage segments", endpoint: T, method: "POST", body: cc({ client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: "a.b.c" }), expectStatus: 401, expectError: "invalid_client", expectChallenge: false },
  { name: "client_assertion whose payload is not JSON", endpoint: T, method: "POST", body: cc({ client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: `eyJhbGciOiJFUzI1NiJ9.${Buffer.from("{not json").toString("base64url")}.c2ln` }), expectStatus: 401, expectError: "invalid_client", expectChallenge: false },
  { name: "unsigned (alg none) client_assertion", endpoint: T, method: "POST", body: (f) => cc({ client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: unsignedJwt({ iss: f.jwt.id, sub: f.jwt.id, aud: `${ISSUER}/oauth/token`, jti: "j", exp: 4102444800 }) }), expectStatus: 401, expectError: "invalid_client", expectChallenge: false },
  { name: "client_assertion signed with a key the client never registered", endpoint: T, method: "POST", body: async (f) => cc({ client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: await assertion(f, {}, strangerKey) }), expectStatus: 401, expectError: "invalid_client", expectChallenge: false },
  { name: "client_assertion naming an unknown client", endpoint: T, method: "POST", body: async (f) => cc({ client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: await assertion(f, { iss: "nobody", sub: "nobody" }) }), expectStatus: 401, expectError: "invalid_client", expectChallenge: false },
  { name: "client_assertion naming a client_secret_basic client", endpoint: T, method: "POST", body: async (f) => cc({ client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: await assertion(f, { iss: f.svc.id, sub: f.svc.id }) }), expectStatus: 401, expectError: "invalid_client", expectChallenge: false },
  { name: "client_assertion with a client_id that does not match it", endpoint: T, method: "POST", body: async (f) => cc({ client_id: f.svc.id, client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: await assertion(f) }), expectStatus: 401, expectError: "invalid_client", expectChallenge: false },
  { name: "client_assertion for another audience", endpoint: T, method: "POST", body: async (f) => cc({ client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: await assertion(f, { aud: "https://elsewhere.example" }) }), expectStatus: 401, expectError: "invalid_client", expectChallenge: false },
  { name: "client_assertion without jti", endpoint: T, method: "POST", body: async (f) => cc({ client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: await assertion(f, { jti: undefined }) }), expectStatus: 401, expectError: "invalid_client", expectChallenge: false },
  { name: "client_assertion valid for a year", endpoint: T, method: "POST", body: async (f) => cc({ client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: await assertion(f, { exp: Math.floor(Date.UTC(2027, 10, 29) / 1000) }) }), expectStatus: 401, expectError: "invalid_client", expectChallenge: false },
  { name: "oversized client_assertion (9 KB)", endpoint: T, method: "POST", body: cc({ client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: long(9000) }), expectStatus: 400, expectError: "invalid_request" },

  // client_credentials
  { name: "client_credentials for a public client", endpoint: T, method: "POST", body: (f) => cc({ client_id: f.spa.id }), expectStatus: 400, expectError: "unauthorized_client" },
  { name: "client_credentials for a client registered without that grant", endpoint: T, method: "POST", headers: webAuth, body: cc(), expectStatus: 400, expectError: "unauthorized_client" },
  { name: "scope with a double quote (RFC 6749 §3.3)", endpoint: T, method: "POST", headers: svcAuth, body: cc({ scope: 'api "x"' }), expectStatus: 400, expectError: "invalid_scope" },
  { name: "scope with a backslash", endpoint: T, method: "POST", headers: svcAuth, body: cc({ scope: "api\\x" }), expectStatus: 400, expectError: "invalid_scope" },
  { name: "scope with a non-ASCII character", endpoint: T, method: "POST", headers: svcAuth, body: cc({ scope: "api ä" }), expectStatus: 400, expectError: "invalid_scope" },
  { name: "scope with a tab (a control character: refused by the reader)", endpoint: T, method: "POST", headers: svcAuth, body: cc({ scope: "api\tapi" }), expectStatus: 400, expectError: "invalid_request" },
  { name: "an unknown scope", endpoint: T, method: "POST", headers: svcAuth, body: cc({ scope: "api admin" }), expectStatus: 400, expectError: "invalid_scope" },
  { name: "a user scope without a user (openid)", endpoint: T, method: "POST", headers: svcAuth, body: cc({ scope: "openid" }), expectStatus: 400, expectError: "invalid_scope" },
  { name: "duplicated scope", endpoint: T, method: "POST", headers: svcAuth, body: cc({ scope: ["api", "api"] }), expectStatus: 400, expectError: "invalid_request" },
  { name: "oversized scope (9 KB)", endpoint: T, method: "POST", headers: svcAuth, body: cc({ scope: long(9000) }), expectStatus: 400, expectError: "invalid_request" },
  { name: "relative resource (RFC 8707 §2)", endpoint: T, method: "POST", headers: svcAuth, body: cc({ resource: "/api" }), expectStatus: 400, expectError: "invalid_target" },
  { name: "resource with a fragment", endpoint: T, method: "POST", headers: svcAuth, body: cc({ resource: "urn:example:api#frag" }), expectStatus: 400, expectError: "invalid_target" },
  { name: "resource the client is not registered for", endpoint: T, method: "POST", headers: svcAuth, body: cc({ resource: "https://other.example.com/" }), expectStatus: 400, expectError: "invalid_target" },
  // RFC 8707 §2: without registered resources a client may name only the issuer, not another resource server.
  { name: "a resource asked for by a client with no registered resources", endpoint: T, method: "POST", body: (f) => cc({ client_id: f.post.id, client_secret: f.post.secret, resource: "https://other.example/api" }), expectStatus: 400, expectError: "invalid_target" },
  { name: "a resource asked for with an authorization code, no registered resources", endpoint: T, method: "POST", headers: webAuth, body: async (f) => { const c = await f.webCode(); return enc({ grant_type: "authorization_code", code: c.code, code_verifier: c.verifier, redirect_uri: REDIRECT, resource: "https://other.example/api" }); }, expectStatus: 400, expectError: "invalid_target" },
  { name: "a resource asked for with a refresh token, no registered resources", endpoint: T, method: "POST", headers: webAuth, body: (f) => enc({ grant_type: "refresh_token", refresh_token: f.refreshToken, resource: "https://other.example/api" }), expectStatus: 400, expectError: "invalid_target" },
  { name: "resource repeated with an empty value", endpoint: T, method: "POST", headers: svcAuth, body: "grant_type=client_credentials&resource=urn:example:api&resource=", expectStatus: 400, expectError: "invalid_target" },
  { name: "resource with a space in it", endpoint: T, method: "POST", headers: svcAuth, body: cc({ resource: "urn:example:api extra" }), expectStatus: 400, expectError: "invalid_target" },

  // authorization_code
  { name: "authorization_code without code", endpoint: T, method: "POST", headers: webAuth, body: enc({ grant_type: "authorization_code", code_verifier: pkcePair().verifier, redirect_uri: REDIRECT }), expectStatus: 400, expectError: "invalid_request" },
  { name: "authorization_code without code_verifier", endpoint: T, method: "POST", headers: webAuth, body: async (f) => enc({ grant_type: "authorization_code", code: (await f.webCode()).code, redirect_uri: REDIRECT }), expectStatus: 400, expectError: "invalid_request" },
  { name: "duplicated code", endpoint: T, method: "POST", headers: webAuth, body: enc({ grant_type: "authorization_code", code: ["a", "b"], code_verifier: pkcePair().verifier }), expectStatus: 400, expectError: "invalid_request" },
  { name: "duplicated code_verifier", endpoint: T, method: "POST", headers: webAuth, body: enc({ grant_type: "authorization_code", code: "a", code_verifier: [pkcePair().verifier, pkcePair().verifier] }), expectStatus: 400, expectError: "invalid_request" },
  { name: "duplicated redirect_uri", endpoint: T, method: "POST", headers: webAuth, body: enc({ grant_type: "authorization_code", code: "a", code_verifier: pkcePair().verifier, redirect_uri: [REDIRECT, REDIRECT] }), expectStatus: 400, expectError: "invalid_request" },
  { name: "oversized code (600 characters)", endpoint: T, method: "POST", headers: webAuth, body: enc({ grant_type: "authorization_code", code: long(600), code_verifier: pkcePair().verifier }), expectStatus: 400, expectError: "invalid_request" },
  { name: "oversized redirect_uri (3000 characters)", endpoint: T, method: "POST", headers: webAuth, body: enc({ grant_type: "authorization_code", code: "a", code_verifier: pkcePair().verifier, redirect_uri: `${REDIRECT}?${long(3000)}` }), expectStatus: 400, expectError: "invalid_request" },
  { name: "oversized code_verifier (9 KB)", endpoint: T, method: "POST", headers: webAuth, body: enc({ grant_type: "authorization_code", code: "a", code_verifier: long(9000) }), expectStatus: 400, expectError: "invalid_request" },
  { name: "code_verifier of 42 characters (RFC 7636 §4.1)", endpoint: T, method: "POST", headers: webAuth, body: async (f) => enc({ grant_type: "authorization_code", code: (await f.webCode()).code, code_verifier: long(42), redirect_uri: REDIRECT }), expectStatus: 400, expectError: "invalid_grant" },
  { name: "code_verifier of 129 characters", endpoint: T, method: "POST", headers: webAuth, body: async (f) => enc({ grant_type: "authorization_code", code: (await f.webCode()).code, code_verifier: long(129), redirect_uri: REDIRECT }), expectStatus: 400, expectError: "invalid_grant" },
  { name: "code_verifier with characters outside unreserved", endpoint: T, method: "POST", headers: webAuth, body: async (f) => enc({ grant_type: "authorization_code", code: (await f.webCode()).code, code_verifier: `${long(40)}!*+=`, redirect_uri: REDIRECT }), expectStatus: 400, expectError: "invalid_grant" },
  { name: "a well-formed code_verifier that does not match", endpoint: T, method: "POST", headers: webAuth, body: async (f) => enc({ grant_type: "authorization_code", code: (await f.webCode()).code, code_verifier: pkcePair().verifier, redirect_uri: REDIRECT }), expectStatus: 400, expectError: "invalid_grant" },
  { name: "an unknown code", endpoint: T, method: "POST", headers: webAuth, body: enc({ grant_type: "authorization_code", code: "no-such-code", code_verifier: pkcePair().verifier, redirect_uri: REDIRECT }), expectStatus: 400, expectError: "invalid_grant" },
  { name: "another client's code", endpoint: T, method: "POST", headers: webAuth, body: async (f) => { const c = await f.spaCode(); return enc({ grant_type: "authorization_code", code: c.code, code_verifier: c.verifier, redirect_uri: REDIRECT }); }, expectStatus: 400, expectError: "invalid_grant" },
  { name: "a redirect_uri other than the authorization request's", endpoint: T, method: "POST", headers: webAuth, body: async (f) => { const c = await f.webCode(); return enc({ grant_type: "authorization_code", code: c.code, code_verifier: c.verifier, redirect_uri: "https://app.example.com/other" }); }, expectStatus: 400, expectError: "invalid_grant" },
  { name: "no redirect_uri although the authorization request had one", endpoint: T, method: "POST", headers: webAuth, body: async (f) => { const c = await f.webCode(); return enc({ grant_type: "authorization_code", code: c.code, code_verifier: c.verifier }); }, expectStatus: 400, expectError: "invalid_grant" },
  { name: "a relative resource with a valid code", endpoint: T, method: "POST", headers: webAuth, body: async (f) => { const c = await f.webCode(); return enc({ grant_type: "authorization_code", code: c.code, code_verifier: c.verifier, redirect_uri: REDIRECT, resource: "api" }); }, expectStatus: 400, expectError: "invalid_target" },
  { name: "authorization_code by a public client without client_id", endpoint: T, method: "POST", body: async (f) => { const c = await f.spaCode(); return enc({ grant_type: "authorization_code", code: c.code, code_verifier: c.verifier, redirect_uri: REDIRECT }); }, expectStatus: 401, expectError: "invalid_client", expectChallenge: false },
  { name: "authorization_code by a client without that grant", endpoint: T, method: "POST", headers: svcAuth, body: enc({ grant_type: "authorization_code", code: "x", code_verifier: pkcePair().verifier }), expectStatus: 400, expectError: "unauthorized_client" },

  // refresh_token
  { name: "refresh_token grant without refresh_token", endpoint: T, method: "POST", headers: webAuth, body: enc({ grant_type: "refresh_token" }), expectStatus: 400, expectError: "invalid_request" },
  { name: "garbage refresh_token", endpoint: T, method: "POST", headers: webAuth, body: enc({ grant_type: "refresh_token", refresh_token: "garbage" }), expectStatus: 400, expectError: "invalid_grant" },
  { name: "refresh_token that looks like a JWT", endpoint: T, method: "POST", headers: webAuth, body: enc({ grant_type: "refresh_token", refresh_token: "eyJhbGciOiJub25lIn0.e30.sig" }), expectStatus: 400, expectError: "invalid_grant" },
  { name: "duplicated refresh_token", endpoint: T, method: "POST", headers: webAuth, body: (f) => enc({ grant_type: "refresh_token", refresh_token: [f.refreshToken, f.refreshToken] }), expectStatus: 400, expectError: "invalid_request" },
  { name: "oversized refresh_token (600 characters)", endpoint: T, method: "POST", headers: webAuth, body: enc({ grant_type: "refresh_token", refresh_token: long(600) }), expectStatus: 400, expectError: "invalid_request" },
  { name: "another client's refresh_token", endpoint: T, method: "POST", body: (f) => enc({ grant_type: "refresh_token", refresh_token: f.refreshToken, client_id: f.spa.id }), expectStatus: 400, expectError: "invalid_grant" },
  { name: "refresh with a scope wider than the grant (RFC 6749 §6)", endpoint: T, method: "POST", headers: webAuth, body: (f) => enc({ grant_type: "refresh_token", refresh_token: f.refreshToken, scope: "api offline_access" }), expectStatus: 400, expectError: "invalid_scope" },
  { name: "refresh with a malformed scope", endpoint: T, method: "POST", headers: webAuth, body: (f) => enc({ grant_type: "refresh_token", refresh_token: f.refreshToken, scope: 'api "' }), expectStatus: 400, expectError: "invalid_scope" },
  { name: "refresh with a duplicated scope", endpoint: T, method: "POST", headers: webAuth, body: (f) => enc({ grant_type: "refresh_token", refresh_token: f.refreshToken, scope: ["api", "api"] }), expectStatus: 400, expectError: "invalid_request" },
  { name: "refresh with a relative resource", endpoint: T, method: "POST", headers: webAuth, body: (f) => enc({ grant_type: "refresh_token", refresh_token: f.refreshToken, resource: "/api" }), expectStatus: 400, expectError: "invalid_target" },
  { name: "refresh_token grant by a client without that grant", endpoint: T, method: "POST", headers: svcAuth, body: enc({ grant_type: "refresh_token", refresh_token: "x" }), expectStatus: 400, expectError: "unauthorized_client" },
];

const introspectionCases: MalformedCase[] = [
  { name: "no client authentication", endpoint: I, method: "POST", body: (f) => enc({ token: f.svcAccessToken }), expectStatus: 401, expectError: "invalid_client", expectChallenge: false },
  { name: "a public client (cannot authenticate, RFC 7662 §2.1)", endpoint: I, method: "POST", body: (f) => enc({ token: f.svcAccessToken, client_id: f.spa.id }), expectStatus: 401, expectError: "invalid_client" },
  { name: "wrong Basic secret", endpoint: I, method: "POST", headers: (f) => ({ authorization: basic(f.svc.id, "wrong") }), body: (f) => enc({ token: f.svcAccessToken }), expectStatus: 401, expectError: "invalid_client", expectChallenge: true },
  { name: "Basic credentials without a colon", endpoint: I, method: "POST", headers: { authorization: `Basic ${b64("nocolon")}` }, body: enc({ token: "x" }), expectStatus: 401, expectError: "invalid_client", expectChallenge: true },
  { name: "a Bearer token instead of client credentials", endpoint: I, method: "POST", headers: (f) => ({ authorization: `Bearer ${f.svcAccessToken}` }), body: (f) => enc({ token: f.svcAccessToken }), expectStatus: 401, expectError: "invalid_client", expectChallenge: true },
  { name: "two authentication methods", endpoint: I, method: "POST", headers: svcAuth, body: (f) => enc({ token: "x", client_id: f.post.id, client_secret: f.post.secret }), expectStatus: 400, expectError: "invalid_request" },
  { name: "missing token", endpoint: I, method: "POST", headers: svcAuth, body: enc({ token_type_hint: "access_token" }), expectStatus: 400, expectError: "invalid_request" },
  { name: "empty token", endpoint: I, method: "POST", headers: svcAuth, body: "token=", expectStatus: 400, expectError: "invalid_request" },
  { name: "duplicated token", endpoint: I, method: "POST", headers: svcAuth, body: (f) => enc({ token: [f.svcAccessToken, f.svcAccessToken] }), expectStatus: 400, expectError: "invalid_request" },
  { name: "duplicated token_type_hint", endpoint: I, method: "POST", headers: svcAuth, body: (f) => enc({ token: f.svcAccessToken, token_type_hint: ["access_token", "access_token"] }), expectStatus: 400, expectError: "invalid_request" },
  { name: "oversized token (9 KB)", endpoint: I, method: "POST", headers: svcAuth, body: enc({ token: long(9000) }), expectStatus: 400, expectError: "invalid_request" },
  { name: "application/json body (415)", endpoint: I, method: "POST", headers: (f) => ({ ...svcAuth(f), "content-type": "application/json" }), body: '{"token":"x"}', expectStatus: 415, expectError: "invalid_request" },
  { name: "text/plain body (415)", endpoint: I, method: "POST", headers: (f) => ({ ...svcAuth(f), "content-type": "text/plain" }), body: "token=x", expectStatus: 415, expectError: "invalid_request" },
  { name: "no Content-Type (415)", endpoint: I, method: "POST", headers: svcAuth, body: bytes("token=x"), expectStatus: 415, expectError: "invalid_request" },
  { name: "invalid UTF-8", endpoint: I, method: "POST", headers: (f) => ({ ...svcAuth(f), "content-type": "application/x-www-form-urlencoded" }), body: new Uint8Array([...bytes("token="), 0xff, 0xfe]), expectStatus: 400, expectError: "invalid_request" },
  { name: "70 KB body (413)", endpoint: I, method: "POST", headers: svcAuth, body: enc({ token: "x", pad: long(70 * 1024) }), expectStatus: 413, expectError: "invalid_request" },
  { name: "GET (405)", endpoint: I, method: "GET", query: "token=x", expectStatus: 405, expectError: "method_not_allowed" },
  { name: "PUT (405)", endpoint: I, method: "PUT", headers: svcAuth, body: "token=x", expectStatus: 405, expectError: "method_not_allowed" },
];

const revocationCases: MalformedCase[] = [
  { name: "no client authentication", endpoint: R, method: "POST", body: enc({ token: "x" }), expectStatus: 401, expectError: "invalid_client", expectChallenge: false },
  { name: "wrong Basic secret", endpoint: R, method: "POST", headers: (f) => ({ authorization: basic(f.svc.id, "wrong") }), body: enc({ token: "x" }), expectStatus: 401, expectError: "invalid_client", expectChallenge: true },
  { name: "Basic credentials that are not base64", endpoint: R, method: "POST", headers: { authorization: "Basic ***" }, body: enc({ token: "x" }), expectStatus: 401, expectError: "invalid_client", expectChallenge: true },
  { name: "a Bearer token instead of client credentials", endpoint: R, method: "POST", headers: { authorization: "Bearer x" }, body: enc({ token: "x" }), expectStatus: 401, expectError: "invalid_client", expectChallenge: true },
  { name: "an unknown public client_id", endpoint: R, method: "POST", body: enc({ token: "x", client_id: "nobody" }), expectStatus: 401, expectError: "invalid_client", expectChallenge: false },
  { name: "two authentication methods", endpoint: R, method: "POST", headers: svcAuth, body: (f) => enc({ token: "x", client_id: f.post.id, client_secret: f.post.secret }), expectStatus: 400, expectError: "invalid_request" },
  { name: "missing token", endpoint: R, method: "POST", headers: svcAuth, body: enc({ token_type_hint: "refresh_token" }), expectStatus: 400, expectError: "invalid_request" },
  { name: "empty token", endpoint: R, method: "POST", headers: svcAuth, body: "token=&token_type_hint=access_token", expectStatus: 400, expectError: "invalid_request" },
  { name: "duplicated token", endpoint: R, method: "POST", headers: svcAuth, body: enc({ token: ["a", "b"] }), expectStatus: 400, expectError: "invalid_request" },
  { name: "duplicated token_type_hint", endpoint: R, method: "POST", headers: svcAuth, body: enc({ token: "a", token_type_hint: ["access_token", "refresh_token"] }), expectStatus: 400, expectError: "invalid_request" },
  { name: "oversized token (9 KB)", endpoint: R, method: "POST", headers: svcAuth, body: enc({ token: long(9000) }), expectStatus: 400, expectError: "invalid_request" },
  { name: "another client's access token", endpoint: R, method: "POST", headers: webAuth, body: (f) => enc({ token: f.svcAccessToken }), expectStatus: 400, expectError: "unauthorized_client" },
  { name: "application/json body (415)", endpoint: R, method: "POST", headers: (f) => ({ ...svcAuth(f), "content-type": "application/json" }), body: '{"token":"x"}', expectStatus: 415, expectError: "invalid_request" },
  { name: "no Content-Type (415)", endpoint: R, method: "POST", headers: svcAuth, body: bytes("token=x"), expectStatus: 415, expectError: "invalid_request" },
  { name: "invalid UTF-8", endpoint: R, method: "POST", headers: (f) => ({ ...svcAuth(f), "content-type": "application/x-www-form-urlencoded" }), body: new Uint8Array([...bytes("token=a"), 0xc0, 0xaf]), expectStatus: 400, expectError: "invalid_request" },
  { name: "70 KB body (413)", endpoint: R, method: "POST", headers: svcAuth, body: enc({ token: "x", pad: long(70 * 1024) }), expectStatus: 413, expectError: "invalid_request" },
  { name: "GET (405)", endpoint: R, method: "GET", query: "token=x", expectStatus: 405, expectError: "method_not_allowed" },
  { name: "DELETE (405)", endpoint: R, method: "DELETE", expectStatus: 405, expectError: "method_not_allowed" },
];

const documentCases: MalformedCase[] = [
  { name: "POST (405)", endpoint: JWKS, method: "POST", body: "x=1", expectStatus: 405, expectError: "method_not_allowed" },
  { name: "PUT (405)", endpoint: JWKS, method: "PUT", body: '{"keys":[]}', headers: { "content-type": "application/json" }, expectStatus: 405, expectError: "method_not_allowed" },
  { name: "DELETE (405)", endpoint: JWKS, method: "DELETE", expectStatus: 405, expectError: "method_not_allowed" },
  { name: "PATCH (405)", endpoint: JWKS, method: "PATCH", body: "{}", headers: { "content-type": "application/json" }, expectStatus: 405, expectError: "method_not_allowed" },
  { name: "POST (405)", endpoint: DISCOVERY, method: "POST", body: "x=1", expectStatus: 405, expectError: "method_not_allowed" },
  { name: "PUT (405)", endpoint: DISCOVERY, method: "PUT", body: "{}", headers: { "content-type": "application/json" }, expectStatus: 405, expectError: "method_not_allowed" },
  { name: "DELETE (405)", endpoint: DISCOVERY, method: "DELETE", expectStatus: 405, expectError: "method_not_allowed" },
];

/** UserInfo (OIDC Core §5.3): RFC 6750 §3 errors, JSON bodies, never a 500. */
const userinfoCases: MalformedCase[] = [
  { name: "no token at all (401)", endpoint: USERINFO, method: "GET", expectStatus: 401, expectError: "invalid_token" },
  { name: "an empty Bearer", endpoint: USERINFO, method: "GET", headers: { authorization: "Bearer " }, expectStatus: 400, expectError: "invalid_request" },
  { name: "a Basic Authorization header", endpoint: USERINFO, method: "GET", headers: { authorization: `Basic ${b64("a:b")}` }, expectStatus: 400, expectError: "invalid_request" },
  { name: "a token with a space inside", endpoint: USERINFO, method: "GET", headers: { authorization: "Bearer abc def" }, expectStatus: 400, expectError: "invalid_request" },
  { name: "a token with characters outside b64token", endpoint: USERINFO, method: "GET", headers: { authorization: "Bearer abc<script>" }, expectStatus: 400, expectError: "invalid_request" },
  { name: "a garbage token", endpoint: USERINFO, method: "GET", headers: { authorization: "Bearer not.a.token" }, expectStatus: 401, expectError: "invalid_token" },
  { name: "an unsigned alg:none JWT", endpoint: USERINFO, method: "GET", headers: { authorization: `Bearer ${unsignedJwt({ iss: ISSUER, sub: "x", scope: "openid" })}` }, expectStatus: 401, expectError: "invalid_token" },
  { name: "an oversized token (9 KB)", endpoint: USERINFO, method: "GET", headers: { authorization: `Bearer ${long(9000)}` }, expectStatus: 401, expectError: "invalid_token" },
  { name: "a client_credentials token without openid (403)", endpoint: USERINFO, method: "GET", headers: (f) => ({ authorization: `Bearer ${f.postAccessToken}` }), expectStatus: 403, expectError: "insufficient_scope" },
  // RFC 9068 §4, RFC 6750 §3.1: a token whose aud names only another resource server is not for UserInfo.
  { name: "a token whose aud is only a foreign resource (401)", endpoint: USERINFO, method: "GET", headers: (f) => ({ authorization: `Bearer ${f.svcAccessToken}` }), expectStatus: 401, expectError: "invalid_token" },
  { name: "the token in the header and the body", endpoint: USERINFO, method: "POST", headers: (f) => ({ authorization: `Bearer ${f.svcAccessToken}` }), body: (f) => enc({ access_token: f.svcAccessToken }), expectStatus: 400, expectError: "invalid_request" },
  { name: "access_token twice in the body", endpoint: USERINFO, method: "POST", body: enc({ access_token: ["a", "b"] }), expectStatus: 400, expectError: "invalid_request" },
  { name: "a 70 KB form body (413)", endpoint: USERINFO, method: "POST", body: enc({ access_token: long(70 * 1024) }), expectStatus: 413, expectError: "invalid_request" },
  { name: "a JSON body is not read", endpoint: USERINFO, method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ access_token: "x" }), expectStatus: 401, expectError: "invalid_token" },
  { name: "a token in the query is not accepted", endpoint: USERINFO, method: "GET", query: (f) => enc({ access_token: f.svcAccessToken }), expectStatus: 401, expectError: "invalid_token" },
  { name: "PUT (405)", endpoint: USERINFO, method: "PUT", body: "x=1", expectStatus: 405, expectError: "method_not_allowed" },
  { name: "DELETE (405)", endpoint: USERINFO, method: "DELETE", expectStatus: 405, expectError: "method_not_allowed" },
  { name: "POST (405)", endpoint: OIDC_DISCOVERY, method: "POST", body: "x=1", expectStatus: 405, expectError: "method_not_allowed" },
];

/** Pages: the client or its redirect URI is not established (RFC 6749 §4.1.2.1: never redirect). */
const authorizePageCases: MalformedCase[] = [
  { name: "no parameters at all", endpoint: A, method: "GET", expectStatus: 400, expectError: "invalid_request" },
  { name: "missing client_id", endpoint: A, method: "GET", query: authz("", { client_id: undefined }), expectStatus: 400, expectError: "invalid_request" },
  { name: "empty client_id", endpoint: A, method: "GET", query: authz(""), expectStatus: 400, expectError: "invalid_request" },
  { name: "unknown client_id", endpoint: A, method: "GET", query: authz("no-such-client"), expectStatus: 400, expectError: "invalid_client" },
  { name: "unknown client_id with an attacker's redirect_uri", endpoint: A, method: "GET", query: authz("no-such-client", {}, "https://evil.example.com/steal"), expectStatus: 400, expectError: "invalid_client", mustNotContain: ["evil.example.com"] },
  { name: "oversized client_id (300 characters)", endpoint: A, method: "GET", query: authz(long(300)), expectStatus: 400, expectError: "invalid_client" },
  { name: "client_id with an invalid percent escape", endpoint: A, method: "GET", query: (f) => authz(f.web.id).replace(`client_id=${f.web.id}`, "client_id=%ZZ"), expectStatus: 400, expectError: "invalid_client" },
  { name: "a disabled client", endpoint: A, method: "GET", query: (f) => authz(f.disabled.id), expectStatus: 400, expectError: "invalid_client" },
  { name: "duplicated client_id", endpoint: A, method: "GET", query: (f) => authz(f.web.id, { client_id: [f.web.id, f.web.id] }), expectStatus: 400, expectError: "invalid_request" },
  { name: "a client with no redirect URI (client_credentials only)", endpoint: A, method: "GET", query: (f) => authz(f.svc.id, {}, undefined), expectStatus: 400, expectError: "unauthorized_client" },
  { name: "unregistered redirect_uri", endpoint: A, method: "GET", query: (f) => authz(f.web.id, {}, "https://evil.example.com/cb"), expectStatus: 400, expectError: "invalid_request", mustNotContain: ["evil.example.com"] },
  { name: "redirect_uri with an extra path segment", endpoint: A, method: "GET", query: (f) => authz(f.web.id, {}, `${REDIRECT}/more`), expectStatus: 400, expectError: "invalid_request" },
  { name: "redirect_uri with an added query", endpoint: A, method: "GET", query: (f) => authz(f.web.id, {}, `${REDIRECT}?next=https://evil.example.com`), expectStatus: 400, expectError: "invalid_request", mustNotContain: ["evil.example.com"] },
  { name: "redirect_uri with a fragment", endpoint: A, method: "GET", query: (f) => authz(f.web.id, {}, `${REDIRECT}#x`), expectStatus: 400, expectError: "invalid_request" },
  { name: "redirect_uri differing in host case (no normalization)", endpoint: A, method: "GET", query: (f) => authz(f.web.id, {}, "https://APP.example.com/cb"), expectStatus: 400, expectError: "invalid_request" },
  { name: "redirect_uri with a trailing slash", endpoint: A, method: "GET", query: (f) => authz(f.web.id, {}, `${REDIRECT}/`), expectStatus: 400, expectError: "invalid_request" },
  { name: "redirect_uri javascript:", endpoint: A, method: "GET", query: (f) => authz(f.web.id, {}, "javascript:alert(1)"), expectStatus: 400, expectError: "invalid_request", mustNotContain: ["alert(1)"] },
  { name: "redirect_uri over http instead of https", endpoint: A, method: "GET", query: (f) => authz(f.web.id, {}, REDIRECT.replace("https:", "http:")), expectStatus: 400, expectError: "invalid_request" },
  { name: "oversized redirect_uri (3000 characters)", endpoint: A, method: "GET", query: (f) => authz(f.web.id, {}, `${REDIRECT}?${long(3000)}`), expectStatus: 400, expectError: "invalid_request" },
  { name: "duplicated redirect_uri", endpoint: A, method: "GET", query: (f) => authz(f.web.id, { redirect_uri: [REDIRECT, REDIRECT] }, undefined), expectStatus: 400, expectError: "invalid_request" },
  { name: "missing redirect_uri, two registered (OAuth 2.1 §4.1.1)", endpoint: A, method: "GET", query: (f) => authz(f.two.id, {}, undefined), expectStatus: 400, expectError: "invalid_request" },
  { name: "a loopback redirect_uri on another path (native client)", endpoint: A, method: "GET", query: (f) => authz(f.native.id, {}, "http://127.0.0.1:5555/other"), expectStatus: 400, expectError: "invalid_request" },
  { name: "query string over 64 KB", endpoint: A, method: "GET", query: (f) => authz(f.web.id, { pad: long(70 * 1024) }), expectStatus: 400, expectError: "invalid_request" },
  { name: "POST with a JSON body (415)", endpoint: A, method: "POST", headers: { "content-type": "application/json" }, body: (f) => JSON.stringify({ client_id: f.web.id, response_type: "code" }), expectStatus: 415, expectError: "invalid_request" },
  { name: "POST without Content-Type (415)", endpoint: A, method: "POST", body: (f) => bytes(authz(f.web.id)), expectStatus: 415, expectError: "invalid_request" },
  { name: "POST with a 70 KB body (413)", endpoint: A, method: "POST", body: (f) => authz(f.web.id, { pad: long(70 * 1024) }), expectStatus: 413, expectError: "invalid_request" },
  { name: "POST with an unknown client", endpoint: A, method: "POST", body: authz("no-such-client"), expectStatus: 400, expectError: "invalid_client" },
  { name: "POST with an unregistered redirect_uri", endpoint: A, method: "POST", body: (f) => authz(f.web.id, {}, "https://evil.example.com/cb"), expectStatus: 400, expectError: "invalid_request", mustNotContain: ["evil.example.com"] },
];

/** Redirected errors: the client and redirect URI are established. */
const redirect = (name: string, query: (f: Fixtures) => string, expectError: string, to = REDIRECT, method = "GET"): MalformedCase =>
  method === "GET"
    ? { name, endpoint: A, method, query, expectStatus: 303, expectError, expectRedirectTo: to }
    : { name, endpoint: A, method, body: query, expectStatus: 303, expectError, expectRedirectTo: to };

const authorizeRedirectCases: MalformedCase[] = [
  redirect("missing response_type", (f) => authz(f.web.id, { response_type: undefined }), "invalid_request"),
  redirect("response_type=token (no implicit grant in OAuth 2.1)", (f) => authz(f.web.id, { response_type: "token" }), "unsupported_response_type"),
  redirect("response_type=code id_token", (f) => authz(f.web.id, { response_type: "code id_token" }), "unsupported_response_type"),
  redirect("response_type=id_token", (f) => authz(f.web.id, { response_type: "id_token" }), "unsupported_response_type"),
  redirect("response_type=CODE", (f) => authz(f.web.id, { response_type: "CODE" }), "unsupported_response_type"),
  redirect("duplicated response_type", (f) => authz(f.web.id, { response_type: ["code", "code"] }), "invalid_request"),
  redirect("missing code_challenge (PKCE required)", (f) => authz(f.web.id, { code_challenge: undefined, code_challenge_method: undefined }), "invalid_request"),
  redirect("code_challenge_method=plain (RFC 7636 §4.4.1)", (f) => authz(f.web.id, { code_challenge: long(43, "b"), code_challenge_method: "plain" }), "invalid_request"),
  redirect("code_challenge without code_challenge_method (defaults to plain)", (f) => authz(f.web.id, { code_challenge_method: undefined }), "invalid_request"),
  redirect("code_challenge_method=s256 (case matters)", (f) => authz(f.web.id, { code_challenge_method: "s256" }), "invalid_request"),
  redirect("malformed code_challenge (too short)", (f) => authz(f.web.id, { code_challenge: "too-short" }), "invalid_request"),
  redirect("code_challenge of 128 characters", (f) => authz(f.web.id, { code_challenge: long(128, "A") }), "invalid_request"),
  redirect("code_challenge with base64 (not base64url) characters", (f) => authz(f.web.id, { code_challenge: `${long(41, "A")}+/` }), "invalid_request"),
  redirect("code_challenge with padding", (f) => authz(f.web.id, { code_challenge: `${pkcePair().challenge}=` }), "invalid_request"),
  redirect("duplicated code_challenge", (f) => { const c = pkcePair().challenge; return authz(f.web.id, { code_challenge: [c, c] }); }, "invalid_request"),
  redirect("response_mode=fragment", (f) => authz(f.web.id, { response_mode: "fragment" }), "invalid_request"),
  redirect("response_mode=web_message", (f) => authz(f.web.id, { response_mode: "web_message" }), "invalid_request"),
  redirect("request object (RFC 9101)", (f) => authz(f.web.id, { request: "eyJhbGciOiJub25lIn0.e30." }), "request_not_supported"),
  redirect("request_uri", (f) => authz(f.web.id, { request_uri: "urn:ietf:params:oauth:request_uri:abc" }), "request_uri_not_supported"),
  redirect("duplicated state", (f) => authz(f.web.id, { state: ["one", "two"] }), "invalid_request"),
  redirect("oversized state (3000 characters)", (f) => authz(f.web.id, { state: long(3000, "s") }), "invalid_request"),
  redirect("state over the parameter limit (9 KB)", (f) => authz(f.web.id, { state: long(9000, "s") }), "invalid_request"),
  redirect("duplicated scope", (f) => authz(f.web.id, { scope: ["api", "api"] }), "invalid_request"),
  redirect("malformed scope", (f) => authz(f.web.id, { scope: 'api "quoted"' }), "invalid_scope"),
  redirect("relative resource (RFC 8707 §2)", (f) => authz(f.web.id, { resource: "/api" }), "invalid_target"),
  redirect("resource with a fragment", (f) => authz(f.web.id, { resource: "https://api.example.com/#x" }), "invalid_target"),
  redirect("a resource asked for by a client with no registered resources (RFC 8707 §2)", (f) => authz(f.web.id, { resource: "https://other.example/api" }), "invalid_target"),
  redirect("malformed max_age", (f) => authz(f.web.id, { max_age: "-1" }), "invalid_request"),
  redirect("claims that is not a JSON object", (f) => authz(f.web.id, { claims: "[1,2]" }), "invalid_request"),
  redirect("oversized nonce", (f) => authz(f.web.id, { nonce: long(600) }), "invalid_request"),
  redirect("a client without the authorization_code grant", (f) => authz(f.noCode.id, {}, NO_CODE_REDIRECT), "unauthorized_client", NO_CODE_REDIRECT),
  redirect("the one registered redirect URI is used when redirect_uri is omitted", (f) => authz(f.web.id, { response_type: "token" }, undefined), "unsupported_response_type"),
  redirect("a native client's loopback redirect on another port (RFC 8252 §7.3)", (f) => authz(f.native.id, { response_type: "token" }, "http://127.0.0.1:5555/callback"), "unsupported_response_type", "http://127.0.0.1:5555/callback"),
  redirect("POST: missing response_type", (f) => authz(f.web.id, { response_type: undefined }), "invalid_request", REDIRECT, "POST"),
  redirect("POST: response_type=token", (f) => authz(f.web.id, { response_type: "token" }), "unsupported_response_type", REDIRECT, "POST"),
  redirect("POST: code_challenge_method=plain", (f) => authz(f.web.id, { code_challenge_method: "plain" }), "invalid_request", REDIRECT, "POST"),
  redirect("POST: duplicated state", (f) => authz(f.web.id, { state: ["a", "a"] }), "invalid_request", REDIRECT, "POST"),
  {
    name: "POST: invalid UTF-8 once the client is known",
    endpoint: A,
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: (f) => new Uint8Array([...bytes(authz(f.web.id)), ...bytes("&nonce="), 0xff]),
    expectStatus: 303,
    expectError: "invalid_request",
    expectRedirectTo: REDIRECT,
  },
];

// ---- OpenID Connect authentication request parameters (OIDC Core §3.1.2.1, §5.5): begin ----
/** An ID token of this server, issued to `clientId` (a real one, for id_token_hint cases). */
async function idTokenOf(clientId: string, userId: string): Promise<string> {
  const client = await ctx.container.clients.findActive(clientId);
  if (!client) throw new Error(`no client ${clientId}`);
  return ctx.container.oidc.idTokens.issue({ client, userId, sessionId: null, authTime: null, acr: null, amr: [] });
}

const oidcAuthorizeCases: MalformedCase[] = [
  redirect("claims JSON over 4096 characters", (f) => authz(f.web.id, { claims: JSON.stringify({ userinfo: { name: { value: long(4100) } } }) }), "invalid_request"),
  redirect("claims that is JSON null", (f) => authz(f.web.id, { claims: "null" }), "invalid_request"),
  redirect("claims that is a JSON string", (f) => authz(f.web.id, { claims: '"userinfo"' }), "invalid_request"),
  redirect("claims that is a number", (f) => authz(f.web.id, { claims: "42" }), "invalid_request"),
  redirect("claims that is not JSON", (f) => authz(f.web.id, { claims: "{userinfo:" }), "invalid_request"),
  redirect("claims with a string id_token member", (f) => authz(f.web.id, { claims: '{"id_token":"email"}' }), "invalid_request"),
  redirect("claims with an array userinfo member", (f) => authz(f.web.id, { claims: '{"userinfo":["email"]}' }), "invalid_request"),
  redirect("claims with a number as an individual claim request", (f) => authz(f.web.id, { claims: '{"userinfo":{"email":5}}' }), "invalid_request"),
  redirect("claims with a non-boolean essential", (f) => authz(f.web.id, { claims: '{"id_token":{"acr":{"essential":"yes"}}}' }), "invalid_request"),
  redirect("claims with values that is not an array", (f) => authz(f.web.id, { claims: '{"id_token":{"acr":{"values":"urn:x"}}}' }), "invalid_request"),
  redirect("claims requesting more than 64 claims", (f) => authz(f.web.id, { claims: JSON.stringify({ userinfo: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`c${i}`, null])) }) }), "invalid_request"),
  redirect("an unknown prompt value", (f) => authz(f.web.id, { prompt: "bogus" }), "invalid_request"),
  redirect("a known and an unknown prompt value", (f) => authz(f.web.id, { prompt: "login create" }), "invalid_request"),
  redirect("prompt values are case-sensitive", (f) => authz(f.web.id, { prompt: "Login" }), "invalid_request"),
  redirect("prompt=none with consent", (f) => authz(f.web.id, { prompt: "none consent" }), "invalid_request"),
  redirect("prompt=none with login", (f) => authz(f.web.id, { prompt: "login none" }), "invalid_request"),
  redirect("duplicated prompt", (f) => authz(f.web.id, { prompt: ["login", "login"] }), "invalid_request"),
  redirect("prompt=none without a session", (f) => authz(f.web.id, { prompt: "none" }), "login_required"),
  redirect("a garbage id_token_hint", (f) => authz(f.web.id, { id_token_hint: "not-a-jwt" }), "invalid_request"),
  redirect("an id_token_hint with three garbage parts", (f) => authz(f.web.id, { id_token_hint: "a.b.c" }), "invalid_request"),
  redirect("an unsigned (alg none) id_token_hint", (f) => authz(f.web.id, { id_token_hint: unsignedJwt({ iss: ISSUER, sub: f.userId, aud: f.web.id }) }), "invalid_request"),
  redirect("an id_token_hint signed by a stranger", (f) => authz(f.web.id, { id_token_hint: `${long(20, "e")}.${long(20, "f")}.${long(20, "g")}` }), "invalid_request"),
  redirect("an id_token_hint over 8 KB", (f) => authz(f.web.id, { id_token_hint: long(8200) }), "invalid_request"),
  redirect("an access token as id_token_hint", (f) => authz(f.web.id, { id_token_hint: f.svcAccessToken }), "invalid_request"),
  { name: "an id_token_hint issued to another client", endpoint: A, method: "GET", query: async (f) => authz(f.web.id, { id_token_hint: await idTokenOf(f.spa.id, f.userId) }), expectStatus: 303, expectError: "invalid_request", expectRedirectTo: REDIRECT },
  redirect("a negative max_age", (f) => authz(f.web.id, { max_age: "-5" }), "invalid_request"),
  redirect("a non-numeric max_age", (f) => authz(f.web.id, { max_age: "ten" }), "invalid_request"),
  redirect("a fractional max_age", (f) => authz(f.web.id, { max_age: "1.5" }), "invalid_request"),
  redirect("a max_age in exponent notation", (f) => authz(f.web.id, { max_age: "1e3" }), "invalid_request"),
  redirect("a max_age too large", (f) => authz(f.web.id, { max_age: "99999999999" }), "invalid_request"),
  redirect("duplicated max_age", (f) => authz(f.web.id, { max_age: ["0", "0"] }), "invalid_request"),
  redirect("duplicated nonce (a list is not a nonce)", (f) => authz(f.web.id, { nonce: ["n1", "n2"] }), "invalid_request"),
  redirect("duplicated nonce in a POST body", (f) => authz(f.web.id, { nonce: ["n1", "n1"] }), "invalid_request", REDIRECT, "POST"),
  // PostgreSQL stores no NUL character (text, jsonb): refused up front, never a 500.
  redirect("a nonce with a NUL character", (f) => authz(f.web.id, { nonce: "n\u0000n" }), "invalid_request"),
  redirect("a state with a NUL character", (f) => authz(f.web.id, { state: "s\u0000s" }), "invalid_request"),
  redirect("a login_hint with a NUL character", (f) => authz(f.web.id, { login_hint: "a\u0000@example.com" }), "invalid_request"),
  redirect("claims with an escaped NUL character", (f) => authz(f.web.id, { claims: '{"userinfo":{"name":{"value":"a\\u0000b"}}}' }), "invalid_request"),
  redirect("claims with an escaped NUL in a claim name", (f) => authz(f.web.id, { claims: '{"userinfo":{"na\\u0000me":null}}' }), "invalid_request"),
  redirect("an essential acr that cannot be satisfied (OIDC Core §5.5.1.1)", (f) => authz(f.web.id, { claims: '{"id_token":{"acr":{"essential":true,"values":["urn:example:mfa"]}}}' }), "access_denied"),
];
// ---- OpenID Connect authentication request parameters: end ----

// ---- OIDC logout (RP-Initiated Logout 1.0, /oidc/logout): begin ----
// No case has a browser session, so nothing is ever ended here. Every answer is an error page (400
// for a request that fails validation) or a 303 to our own "signed out" page (/logout/done), never
// a 500 and never a redirect to a URI that is not registered as a post_logout_redirect_uri of the
// identified client (§3, §4).
const LOGOUT = "/oidc/logout";
const UNREGISTERED = "https://evil.example.net/after-logout";

/** An ID token of this server for `clientId` (a genuine id_token_hint). */
async function logoutHintFor(clientId: string, userId: string): Promise<string> {
  const client = await ctx.container.clients.findActive(clientId);
  if (!client) throw new Error(`no client ${clientId}`);
  return ctx.container.oidc.idTokens.issue({ client, userId, sessionId: "no-such-session", authTime: null, acr: null, amr: [] });
}

/** A JWT that looks like an ID token but is signed by a key and issuer that are not ours. */
const foreignIdToken = (f: Fixtures, iss = "https://other-op.example.com") =>
  new SignJWT({ sub: f.userId, aud: f.web.id }).setProtectedHeader({ alg: "ES256", typ: "JWT", kid: "k1" }).setIssuer(iss).setIssuedAt().sign(strangerKey);

const lo = (name: string, query: Lazy<string>, expectStatus: 303 | 400, extra: Partial<MalformedCase> = {}): MalformedCase => ({
  name,
  endpoint: LOGOUT,
  method: "GET",
  query,
  expectStatus,
  ...(expectStatus === 400 && { expectError: "invalid_request" }),
  mustNotContain: [UNREGISTERED, "javascript:"],
  ...extra,
});

const logoutCases: MalformedCase[] = [
  lo("no parameters at all (the signed-out page)", "", 303),
  lo("a garbage id_token_hint", enc({ id_token_hint: "garbage", post_logout_redirect_uri: UNREGISTERED }), 400),
  lo("an id_token_hint of three garbage parts", enc({ id_token_hint: "a.b.c" }), 400),
  lo("an unsigned (alg none) id_token_hint", (f) => enc({ id_token_hint: unsignedJwt({ iss: ISSUER, sub: f.userId, aud: f.web.id }) }), 400),
  lo("an id_token_hint of another issuer, signed by its key", async (f) => enc({ id_token_hint: await foreignIdToken(f) }), 400),
  lo("an id_token_hint with our issuer, signed by a stranger", async (f) => enc({ id_token_hint: await foreignIdToken(f, ISSUER) }), 400),
  lo("an access token as id_token_hint", (f) => enc({ id_token_hint: f.svcAccessToken }), 400),
  lo("a refresh token as id_token_hint", (f) => enc({ id_token_hint: f.refreshToken }), 400),
  lo("an id_token_hint over 8 KB", enc({ id_token_hint: long(8200) }), 400),
  lo("an id_token_hint over the parameter limit (9 KB)", enc({ id_token_hint: long(9000) }), 400),
  lo("a duplicated id_token_hint", async (f) => { const t = await logoutHintFor(f.web.id, f.userId); return enc({ id_token_hint: [t, t] }); }, 400),
  lo("a client_id that differs from the hint's audience", async (f) => enc({ id_token_hint: await logoutHintFor(f.web.id, f.userId), client_id: f.spa.id }), 400),
  lo("an unknown client_id", enc({ client_id: "nobody", post_logout_redirect_uri: UNREGISTERED }), 400),
  lo("a disabled client_id", (f) => enc({ client_id: f.disabled.id, post_logout_redirect_uri: REDIRECT }), 400),
  lo("an oversized client_id (300 characters)", enc({ client_id: long(300) }), 400),
  lo("a duplicated client_id", (f) => enc({ client_id: [f.web.id, f.web.id] }), 400),
  lo("an unregistered post_logout_redirect_uri with a valid hint", async (f) => enc({ id_token_hint: await logoutHintFor(f.web.id, f.userId), post_logout_redirect_uri: UNREGISTERED, state: "s" }), 303),
  lo("an unregistered post_logout_redirect_uri with a client_id", (f) => enc({ client_id: f.web.id, post_logout_redirect_uri: UNREGISTERED }), 303),
  lo("the client's redirect_uri is not a post-logout redirect URI", (f) => enc({ client_id: f.web.id, post_logout_redirect_uri: REDIRECT }), 303),
  lo("a post_logout_redirect_uri without any client", enc({ post_logout_redirect_uri: UNREGISTERED }), 303),
  lo("a javascript: post_logout_redirect_uri", (f) => enc({ client_id: f.web.id, post_logout_redirect_uri: "javascript:alert(1)" }), 303),
  lo("an oversized post_logout_redirect_uri (3000 characters)", (f) => enc({ client_id: f.web.id, post_logout_redirect_uri: `${REDIRECT}?${long(3000)}` }), 400),
  lo("a duplicated post_logout_redirect_uri", (f) => enc({ client_id: f.web.id, post_logout_redirect_uri: [UNREGISTERED, UNREGISTERED] }), 400),
  lo("an oversized state (3000 characters)", (f) => enc({ client_id: f.web.id, state: long(3000) }), 400),
  lo("a duplicated state", (f) => enc({ client_id: f.web.id, state: ["a", "b"] }), 400),
  lo("an oversized ui_locales", enc({ ui_locales: long(300) }), 400),
  lo("a state with markup is never echoed", (f) => enc({ client_id: f.web.id, post_logout_redirect_uri: UNREGISTERED, state: '"><script>alert(1)</script>' }), 303, { mustNotContain: [UNREGISTERED, "<script>alert"] }),
  lo("a forged confirmation (a CSRF token without a session)", (f) => enc({ client_id: f.web.id, csrf_token: long(43, "A") }), 303),
  lo("an oversized csrf_token", enc({ csrf_token: long(200) }), 400),
  lo("too many parameters (65)", Array.from({ length: 65 }, (_, i) => `p${i}=1`).join("&"), 400),
  { name: "POST: a garbage id_token_hint", endpoint: LOGOUT, method: "POST", body: enc({ id_token_hint: "garbage" }), expectStatus: 400, expectError: "invalid_request" },
  { name: "POST: a duplicated post_logout_redirect_uri", endpoint: LOGOUT, method: "POST", body: (f) => enc({ client_id: f.web.id, post_logout_redirect_uri: [REDIRECT, REDIRECT] }), expectStatus: 400, expectError: "invalid_request" },
  { name: "POST: an unregistered post_logout_redirect_uri", endpoint: LOGOUT, method: "POST", body: (f) => enc({ client_id: f.web.id, post_logout_redirect_uri: UNREGISTERED }), expectStatus: 303, mustNotContain: [UNREGISTERED] },
  { name: "POST: a JSON body (415)", endpoint: LOGOUT, method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ id_token_hint: "x" }), expectStatus: 415, expectError: "invalid_request" },
  { name: "POST: a 70 KB body (413)", endpoint: LOGOUT, method: "POST", body: enc({ state: long(70 * 1024) }), expectStatus: 413, expectError: "invalid_request" },
  { name: "POST: invalid UTF-8", endpoint: LOGOUT, method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new Uint8Array([...bytes("state="), 0xc3, 0x28, 0xff]), expectStatus: 400, expectError: "invalid_request" },
  { name: "HEAD (405: GET has side effects)", endpoint: LOGOUT, method: "HEAD", expectStatus: 405 },
  { name: "PUT (405)", endpoint: LOGOUT, method: "PUT", body: "x=1", expectStatus: 405, expectError: "method_not_allowed" },
];
// ---- OIDC logout: end ----

// ---- Text PostgreSQL cannot store (NUL, invalid UTF-8, lone surrogates): begin ----
// The edge text rule (lib/http/input.ts) refuses such input in every parameter and credential
// before it reaches a lookup: invalid_request (400) for parameters, invalid_client (401) for
// credentials; at the authorization endpoint an error page until the redirect URI is established.
const NUL = "%00";
/** Percent-encoded bytes that are not UTF-8: a lone byte, and a surrogate encoded as UTF-8 (CESU-8). */
const BAD_UTF8 = "%FF";
const SURROGATE = "%ED%A0%80";
/** Raw body bytes: `prefix` followed by the given bytes, sent as a form. */
const formBytes = (prefix: string, ...tail: number[]) => new Uint8Array([...bytes(prefix), ...tail]);
const FORM = { "content-type": "application/x-www-form-urlencoded" };

const textTokenCases: MalformedCase[] = [
  { name: "Basic: a NUL in the client id", endpoint: T, method: "POST", headers: { authorization: `Basic ${b64("svc\u0000x:secret")}` }, body: cc(), expectStatus: 401, expectError: "invalid_client", expectChallenge: true },
  { name: "Basic: a form-encoded NUL in the client id", endpoint: T, method: "POST", headers: { authorization: `Basic ${b64("svc%00x:secret")}` }, body: cc(), expectStatus: 401, expectError: "invalid_client", expectChallenge: true },
  { name: "Basic: a NUL in the secret of a real client", endpoint: T, method: "POST", headers: (f) => ({ authorization: `Basic ${b64(`${f.svc.id}:se\u0000cret`)}` }), body: cc(), expectStatus: 401, expectError: "invalid_client", expectChallenge: true },
  { name: "Basic: credentials that are not UTF-8", endpoint: T, method: "POST", headers: { authorization: `Basic ${Buffer.from([0x61, 0xff, 0x3a, 0x62]).toString("base64")}` }, body: cc(), expectStatus: 401, expectError: "invalid_client", expectChallenge: true },
  { name: "Basic: a form-encoded lone surrogate in the client id", endpoint: T, method: "POST", headers: { authorization: `Basic ${b64(`a${SURROGATE}:secret`)}` }, body: cc(), expectStatus: 401, expectError: "invalid_client", expectChallenge: true },
  { name: "client_id with a NUL, no secret (public client)", endpoint: T, method: "POST", body: `grant_type=authorization_code&code=x&client_id=spa${NUL}`, expectStatus: 400, expectError: "invalid_request" },
  { name: "client_id with a NUL and a client_secret", endpoint: T, method: "POST", body: `grant_type=client_credentials&client_id=a${NUL}b&client_secret=s`, expectStatus: 400, expectError: "invalid_request" },
  { name: "client_id with invalid UTF-8", endpoint: T, method: "POST", body: `grant_type=client_credentials&client_id=a${BAD_UTF8}&client_secret=s`, expectStatus: 400, expectError: "invalid_request" },
  { name: "client_id with an encoded lone surrogate", endpoint: T, method: "POST", body: `grant_type=client_credentials&client_id=a${SURROGATE}`, expectStatus: 400, expectError: "invalid_request" },
  { name: "client_secret with a NUL", endpoint: T, method: "POST", body: (f) => `grant_type=client_credentials&client_id=${f.post.id}&client_secret=x${NUL}`, expectStatus: 400, expectError: "invalid_request" },
  { name: "a raw NUL byte in the body", endpoint: T, method: "POST", headers: FORM, body: formBytes("grant_type=client_credentials&client_id=a", 0x00, 0x62), expectStatus: 400, expectError: "invalid_request" },
  { name: "a raw NUL byte in the body, with Content-Length", endpoint: T, method: "POST", headers: { ...FORM, "content-length": "42" }, body: formBytes("grant_type=client_credentials&client_id=ab", 0x00), expectStatus: 400, expectError: "invalid_request" },
  { name: "a control character in a parameter name", endpoint: T, method: "POST", headers: svcAuth, body: `${cc()}&x${NUL}y=1`, expectStatus: 400, expectError: "invalid_request" },
  { name: "client_assertion naming a client id with a NUL", endpoint: T, method: "POST", body: cc({ client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: unsignedJwt({ iss: "a\u0000b", sub: "a\u0000b", aud: `${ISSUER}/oauth/token`, jti: "j", exp: 4102444800 }) }), expectStatus: 401, expectError: "invalid_client", expectChallenge: false },
  { name: "client_assertion naming a client id with a lone surrogate", endpoint: T, method: "POST", body: cc({ client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: unsignedJwt({ iss: "a\ud800", sub: "a\ud800", aud: `${ISSUER}/oauth/token`, jti: "j", exp: 4102444800 }) }), expectStatus: 401, expectError: "invalid_client", expectChallenge: false },
  { name: "a signed client_assertion whose jti has a NUL", endpoint: T, method: "POST", body: async (f) => cc({ client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: await assertion(f, { jti: "j\u0000" }) }), expectStatus: 401, expectError: "invalid_client", expectChallenge: false },
  { name: "client_assertion with a NUL in it", endpoint: T, method: "POST", body: `grant_type=client_credentials&client_assertion_type=${encodeURIComponent(JWT_BEARER_ASSERTION_TYPE)}&client_assertion=a.b${NUL}.c`, expectStatus: 400, expectError: "invalid_request" },
  { name: "code with a NUL", endpoint: T, method: "POST", headers: webAuth, body: `grant_type=authorization_code&code=a${NUL}&code_verifier=${pkcePair().verifier}`, expectStatus: 400, expectError: "invalid_request" },
  { name: "code_verifier with invalid UTF-8", endpoint: T, method: "POST", headers: webAuth, body: `grant_type=authorization_code&code=a&code_verifier=${long(43)}${BAD_UTF8}`, expectStatus: 400, expectError: "invalid_request" },
  { name: "redirect_uri with a NUL", endpoint: T, method: "POST", headers: webAuth, body: `grant_type=authorization_code&code=a&code_verifier=${pkcePair().verifier}&redirect_uri=${encodeURIComponent(REDIRECT)}${NUL}`, expectStatus: 400, expectError: "invalid_request" },
  { name: "refresh_token with a NUL", endpoint: T, method: "POST", headers: webAuth, body: `grant_type=refresh_token&refresh_token=r${NUL}`, expectStatus: 400, expectError: "invalid_request" },
  { name: "scope with a NUL", endpoint: T, method: "POST", headers: svcAuth, body: `${cc()}&scope=api${NUL}`, expectStatus: 400, expectError: "invalid_request" },
  { name: "resource with a NUL", endpoint: T, method: "POST", headers: svcAuth, body: `${cc()}&resource=urn:example:api${NUL}`, expectStatus: 400, expectError: "invalid_request" },
  { name: "grant_type with an encoded lone surrogate", endpoint: T, method: "POST", headers: svcAuth, body: `grant_type=client_credentials${SURROGATE}`, expectStatus: 400, expectError: "invalid_request" },
];

const textIntrospectionCases: MalformedCase[] = [
  { name: "token with a NUL", endpoint: I, method: "POST", headers: svcAuth, body: `token=a${NUL}b`, expectStatus: 400, expectError: "invalid_request" },
  { name: "token with invalid UTF-8", endpoint: I, method: "POST", headers: svcAuth, body: `token=a${BAD_UTF8}`, expectStatus: 400, expectError: "invalid_request" },
  { name: "token_type_hint with a NUL", endpoint: I, method: "POST", headers: svcAuth, body: `token=x&token_type_hint=access_token${NUL}`, expectStatus: 400, expectError: "invalid_request" },
  { name: "client_id with a NUL and a client_secret", endpoint: I, method: "POST", body: `token=x&client_id=a${NUL}&client_secret=s`, expectStatus: 400, expectError: "invalid_request" },
  { name: "client_id with a NUL, no secret", endpoint: I, method: "POST", body: `token=x&client_id=a${NUL}`, expectStatus: 400, expectError: "invalid_request" },
  { name: "Basic: a NUL in the client id", endpoint: I, method: "POST", headers: { authorization: `Basic ${b64("a\u0000b:secret")}` }, body: "token=x", expectStatus: 401, expectError: "invalid_client", expectChallenge: true },
  { name: "Basic: credentials that are not UTF-8", endpoint: I, method: "POST", headers: { authorization: `Basic ${Buffer.from([0xc3, 0x28, 0x3a, 0x62]).toString("base64")}` }, body: "token=x", expectStatus: 401, expectError: "invalid_client", expectChallenge: true },
  { name: "a raw NUL byte in the body", endpoint: I, method: "POST", headers: (f) => ({ ...svcAuth(f), ...FORM }), body: formBytes("token=a", 0x00), expectStatus: 400, expectError: "invalid_request" },
];

const textRevocationCases: MalformedCase[] = [
  { name: "token with a NUL", endpoint: R, method: "POST", headers: svcAuth, body: `token=a${NUL}b`, expectStatus: 400, expectError: "invalid_request" },
  { name: "token with an encoded lone surrogate", endpoint: R, method: "POST", headers: svcAuth, body: `token=a${SURROGATE}`, expectStatus: 400, expectError: "invalid_request" },
  { name: "token_type_hint with a NUL", endpoint: R, method: "POST", headers: svcAuth, body: `token=x&token_type_hint=refresh_token${NUL}`, expectStatus: 400, expectError: "invalid_request" },
  { name: "a public client_id with a NUL", endpoint: R, method: "POST", body: `token=x&client_id=spa${NUL}`, expectStatus: 400, expectError: "invalid_request" },
  { name: "client_id with invalid UTF-8 and a client_secret", endpoint: R, method: "POST", body: `token=x&client_id=a${BAD_UTF8}&client_secret=s`, expectStatus: 400, expectError: "invalid_request" },
  { name: "Basic: a NUL in the client id", endpoint: R, method: "POST", headers: { authorization: `Basic ${b64("a\u0000b:secret")}` }, body: "token=x", expectStatus: 401, expectError: "invalid_client", expectChallenge: true },
  { name: "Basic: a form-encoded NUL in the secret", endpoint: R, method: "POST", headers: (f) => ({ authorization: `Basic ${b64(`${f.svc.id}:x%00`)}` }), body: "token=x", expectStatus: 401, expectError: "invalid_client", expectChallenge: true },
  { name: "a raw NUL byte in the body", endpoint: R, method: "POST", headers: (f) => ({ ...svcAuth(f), ...FORM }), body: formBytes("token=a", 0x00, 0x62), expectStatus: 400, expectError: "invalid_request" },
];

const textAuthorizeCases: MalformedCase[] = [
  // Before the redirect URI is established: an error page, never a redirect.
  { name: "client_id with a NUL", endpoint: A, method: "GET", query: (f) => authz(f.web.id).replace(`client_id=${f.web.id}`, `client_id=${f.web.id}${NUL}`), expectStatus: 400, expectError: "invalid_request" },
  { name: "client_id that is only a NUL", endpoint: A, method: "GET", query: (f) => authz(f.web.id).replace(`client_id=${f.web.id}`, `client_id=${NUL}`), expectStatus: 400, expectError: "invalid_request" },
  { name: "client_id with a line feed", endpoint: A, method: "GET", query: (f) => authz(f.web.id).replace(`client_id=${f.web.id}`, `client_id=${f.web.id}%0A`), expectStatus: 400, expectError: "invalid_request" },
  { name: "client_id with invalid UTF-8 (an unknown client)", endpoint: A, method: "GET", query: (f) => authz(f.web.id).replace(`client_id=${f.web.id}`, `client_id=${f.web.id}${BAD_UTF8}`), expectStatus: 400, expectError: "invalid_client" },
  { name: "client_id with an encoded lone surrogate (an unknown client)", endpoint: A, method: "GET", query: (f) => authz(f.web.id).replace(`client_id=${f.web.id}`, `client_id=${SURROGATE}`), expectStatus: 400, expectError: "invalid_client" },
  { name: "redirect_uri with a NUL, with an attacker's host", endpoint: A, method: "GET", query: (f) => `${authz(f.web.id, {}, undefined)}&redirect_uri=https%3A%2F%2Fevil.example.com%2F${NUL}`, expectStatus: 400, expectError: "invalid_request", mustNotContain: ["evil.example.com"] },
  { name: "a registered redirect_uri with a NUL appended", endpoint: A, method: "GET", query: (f) => `${authz(f.web.id, {}, undefined)}&redirect_uri=${encodeURIComponent(REDIRECT)}${NUL}`, expectStatus: 400, expectError: "invalid_request" },
  { name: "POST: client_id with a NUL", endpoint: A, method: "POST", body: (f) => authz(f.web.id).replace(`client_id=${f.web.id}`, `client_id=${f.web.id}${NUL}`), expectStatus: 400, expectError: "invalid_request" },
  { name: "POST: a raw NUL byte in client_id", endpoint: A, method: "POST", headers: FORM, body: (f) => formBytes(`${authz(f.web.id, { client_id: undefined })}&client_id=${f.web.id}`, 0x00), expectStatus: 400, expectError: "invalid_request" },
  // The redirect URI is established: the error goes back to the client, state only when it is clean.
  redirect("a nonce with invalid UTF-8", (f) => `${authz(f.web.id)}&nonce=n${BAD_UTF8}`, "invalid_request"),
  redirect("a login_hint with an encoded lone surrogate", (f) => `${authz(f.web.id)}&login_hint=a${SURROGATE}`, "invalid_request"),
  redirect("a state with a line feed is not echoed", (f) => authz(f.web.id, { state: "a\nb" }), "invalid_request"),
  redirect("a state with invalid UTF-8", (f) => authz(f.web.id, { state: undefined }) + `&state=s${BAD_UTF8}`, "invalid_request"),
  redirect("a code_challenge with a NUL", (f) => authz(f.web.id, { code_challenge: undefined }) + `&code_challenge=${pkcePair().challenge}${NUL}`, "invalid_request"),
  redirect("a scope with a NUL", (f) => authz(f.web.id, { scope: "api\u0000" }), "invalid_request"),
  redirect("a resource with a NUL", (f) => authz(f.web.id, { resource: "https://api.example.com/\u0000" }), "invalid_request"),
  redirect("an id_token_hint with a NUL", (f) => authz(f.web.id, { id_token_hint: "a.b\u0000.c" }), "invalid_request"),
  redirect("a control character in a parameter name", (f) => `${authz(f.web.id)}&x${NUL}=1`, "invalid_request"),
  redirect("claims with an escaped lone surrogate in a value", (f) => authz(f.web.id, { claims: '{"userinfo":{"name":{"value":"a\\ud800"}}}' }), "invalid_request"),
  redirect("claims with an escaped lone surrogate in a claim name", (f) => authz(f.web.id, { claims: '{"userinfo":{"\\udc00":null}}' }), "invalid_request"),
  redirect("claims with an escaped control character in a value", (f) => authz(f.web.id, { claims: '{"id_token":{"acr":{"values":["a\\u001fb"]}}}' }), "invalid_request"),
  redirect("claims with a raw NUL inside the JSON", (f) => authz(f.web.id, { claims: '{"userinfo":\u0000{}}' }), "invalid_request"),
  redirect("POST: a raw NUL byte once the client is known", (f) => `${authz(f.web.id)}&nonce=n%00`, "invalid_request", REDIRECT, "POST"),
  {
    name: "POST: a raw NUL byte in the body once the client is known",
    endpoint: A,
    method: "POST",
    headers: FORM,
    body: (f) => formBytes(`${authz(f.web.id)}&nonce=n`, 0x00),
    expectStatus: 303,
    expectError: "invalid_request",
    expectRedirectTo: REDIRECT,
  },
  // Cookies never reach a query unchecked: a malformed session or binding cookie is no session.
  { name: "a session cookie that is a NUL", endpoint: A, method: "GET", headers: { cookie: "authly_session=%00; authly_interaction=%00" }, query: (f) => authz(f.web.id, { response_type: "token" }), expectStatus: 303, expectError: "unsupported_response_type", expectRedirectTo: REDIRECT },
  { name: "resume: interaction with a NUL", endpoint: RESUME, method: "GET", query: `interaction=${long(42, "A")}${NUL}`, expectStatus: 400, expectError: "invalid_request" },
  { name: "resume: interaction with invalid UTF-8", endpoint: RESUME, method: "GET", query: `interaction=${long(42, "A")}${BAD_UTF8}`, expectStatus: 400, expectError: "invalid_request" },
  { name: "resume: a binding cookie with a NUL", endpoint: RESUME, method: "GET", headers: { cookie: "authly_interaction=a%00b; authly_session=%00" }, query: `interaction=${long(43, "A")}`, expectStatus: 400, expectError: "invalid_request" },
];

const textUserinfoCases: MalformedCase[] = [
  { name: "POST: access_token with a NUL", endpoint: USERINFO, method: "POST", body: `access_token=a${NUL}b`, expectStatus: 400, expectError: "invalid_request" },
  { name: "POST: access_token with invalid UTF-8", endpoint: USERINFO, method: "POST", body: `access_token=a${BAD_UTF8}`, expectStatus: 400, expectError: "invalid_request" },
  { name: "POST: access_token with an encoded lone surrogate", endpoint: USERINFO, method: "POST", body: `access_token=${SURROGATE}`, expectStatus: 400, expectError: "invalid_request" },
  { name: "POST: a raw NUL byte in the body", endpoint: USERINFO, method: "POST", headers: FORM, body: formBytes("access_token=a", 0x00), expectStatus: 400, expectError: "invalid_request" },
  { name: "GET: a Bearer token with a non-ASCII character", endpoint: USERINFO, method: "GET", headers: { authorization: "Bearer abc\u00ffdef" }, expectStatus: 400, expectError: "invalid_request" },
  { name: "GET: a NUL in the query is ignored (no token: 401)", endpoint: USERINFO, method: "GET", query: `access_token=a${NUL}`, expectStatus: 401, expectError: "invalid_token" },
];

const textLogoutCases: MalformedCase[] = [
  lo("client_id with a NUL", `client_id=a${NUL}b`, 400),
  lo("client_id with invalid UTF-8", `client_id=a${BAD_UTF8}`, 400),
  lo("id_token_hint with a NUL", `id_token_hint=a.b${NUL}.c`, 400),
  lo("post_logout_redirect_uri with a NUL", (f) => `client_id=${f.web.id}&post_logout_redirect_uri=${encodeURIComponent(UNREGISTERED)}${NUL}`, 400),
  lo("state with an encoded lone surrogate", (f) => `client_id=${f.web.id}&state=${SURROGATE}`, 400),
  lo("logout_hint with a NUL", `logout_hint=${NUL}`, 400),
  lo("ui_locales with a line feed", "ui_locales=en%0Ade", 400),
  lo("a session cookie that is a NUL (no session: signed out)", "", 303, { headers: { cookie: "authly_session=%00" } }),
  { name: "POST: client_id with a NUL", endpoint: LOGOUT, method: "POST", body: `client_id=a${NUL}`, expectStatus: 400, expectError: "invalid_request" },
  { name: "POST: a raw NUL byte in the body", endpoint: LOGOUT, method: "POST", headers: FORM, body: formBytes("client_id=a", 0x00), expectStatus: 400, expectError: "invalid_request" },
  { name: "POST: id_token_hint with invalid UTF-8", endpoint: LOGOUT, method: "POST", body: `id_token_hint=${BAD_UTF8}`, expectStatus: 400, expectError: "invalid_request" },
];

/** Endpoints that read no parameters ignore them, whatever they hold. */
const textIgnoredCases: MalformedCase[] = [
  { name: "a NUL in the query", endpoint: OIDC_DISCOVERY, method: "GET", query: `x=${NUL}`, expectStatus: 200 },
  { name: "invalid UTF-8 in the query", endpoint: DISCOVERY, method: "GET", query: `x=${BAD_UTF8}`, expectStatus: 200 },
  { name: "a NUL in the query", endpoint: JWKS, method: "GET", query: `x=${NUL}`, expectStatus: 200 },
  { name: "a NUL in the query", endpoint: "/oidc/check-session", method: "GET", query: `client_id=${NUL}`, expectStatus: 200 },
];
// ---- Text PostgreSQL cannot store: end ----

const authorizeMethodCases: MalformedCase[] = [
  { name: "HEAD (405: GET has side effects)", endpoint: A, method: "HEAD", query: (f) => authz(f.web.id), expectStatus: 405 },
  { name: "PUT (405)", endpoint: A, method: "PUT", body: (f) => authz(f.web.id), expectStatus: 405, expectError: "method_not_allowed" },
  { name: "resume without interaction", endpoint: RESUME, method: "GET", expectStatus: 400, expectError: "invalid_request" },
  { name: "resume with an unknown interaction", endpoint: RESUME, method: "GET", query: "interaction=nope", expectStatus: 400, expectError: "invalid_request" },
  { name: "resume with a well-formed interaction id and no browser binding", endpoint: RESUME, method: "GET", query: `interaction=${long(43, "A")}`, expectStatus: 400, expectError: "invalid_request" },
  { name: "resume with a duplicated interaction", endpoint: RESUME, method: "GET", query: "interaction=a&interaction=b", expectStatus: 400, expectError: "invalid_request" },
  { name: "resume with an oversized interaction", endpoint: RESUME, method: "GET", query: `interaction=${long(500)}`, expectStatus: 400, expectError: "invalid_request" },
  { name: "POST to resume (405)", endpoint: RESUME, method: "POST", body: "interaction=x", expectStatus: 405, expectError: "method_not_allowed" },
];

const prefix = (label: string, cases: MalformedCase[]) => cases.map((c) => ({ ...c, name: `${label} ${c.endpoint} ${c.name}` }));

const cases: MalformedCase[] = [
  ...prefix("token", tokenCases),
  ...prefix("introspect", introspectionCases),
  ...prefix("revoke", revocationCases),
  ...prefix("document", documentCases),
  ...prefix("userinfo", userinfoCases),
  ...prefix("authorize page", authorizePageCases),
  ...prefix("authorize redirect", authorizeRedirectCases),
  ...prefix("authorize oidc", oidcAuthorizeCases),
  ...prefix("authorize misc", authorizeMethodCases),
  ...prefix("logout", logoutCases),
  ...prefix("text token", textTokenCases),
  ...prefix("text introspect", textIntrospectionCases),
  ...prefix("text revoke", textRevocationCases),
  ...prefix("text authorize", textAuthorizeCases),
  ...prefix("text userinfo", textUserinfoCases),
  ...prefix("text logout", textLogoutCases),
  ...prefix("text ignored", textIgnoredCases),
  {
    // RFC 7009 §2.2: "An invalid token type hint value is ignored by the authorization server and
    // does not influence the revocation response."
    name: "revoke /oauth/revoke an unknown token_type_hint is ignored (RFC 7009 §2.2)",
    endpoint: R,
    method: "POST",
    headers: svcAuth,
    body: enc({ token: "unknown-token", token_type_hint: "id_token" }),
    expectStatus: 200,
  },
];

/** No known deviations from the specifications remain; a case found later goes here with `it.fails`. */
const knownDeviations: MalformedCase[] = [];

// ---------------------------------------------------------------------------------------------
// Running a case
// ---------------------------------------------------------------------------------------------

const resolve = async <T>(value: Lazy<T> | undefined, f: Fixtures): Promise<T | undefined> =>
  typeof value === "function" ? await (value as (f: Fixtures) => T | Promise<T>)(f) : value;

/** What must never reach a client: stack frames, exception class names, file paths, library internals. */
const leaks = [/\n\s+at\s/, /\bat [\w.<>]+ \(/, /node_modules/, /\/work\//, /\.[cm]?[jt]s:\d+/, /\b(TypeError|RangeError|SyntaxError|ReferenceError|URIError)\b/, /Prisma/, /ZodError/, /Unexpected token/, /\bstack\b/i, /undefined|null is not|\[object Object\]/];

let counter = 0;

async function send(c: MalformedCase, f: Fixtures): Promise<{ response: Response; text: string; sentQuery: string; sentBody: string | Uint8Array | undefined }> {
  const route = findRoute(c.endpoint);
  if (!route) throw new Error(`no route ${c.endpoint}`);
  const headers: Record<string, string> = { ...(await resolve(c.headers, f)) };
  const body = await resolve(c.body, f);
  const query = (await resolve(c.query, f)) ?? "";
  if (typeof body === "string" && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) {
    headers["content-type"] = "application/x-www-form-urlencoded";
  }
  const request = new Request(`${ISSUER}${c.endpoint}${query ? `?${query}` : ""}`, { method: c.method, headers, body: body as BodyInit | undefined });
  // A distinct address per case keeps the per-IP limit out of the picture.
  const n = ++counter;
  const response = await runRoute(route, request, ctx.container, `10.77.${n >> 8}.${n & 255}`);
  const text = c.method === "HEAD" ? "" : await response.text();
  return { response, text, sentQuery: query, sentBody: body };
}

/**
 * The state the client sent, when it can be echoed: present exactly once, within the server's
 * 2048-character limit, and passing the edge text rule (a malformed state is never echoed).
 */
function sentState(query: string, body: string | Uint8Array | undefined): string | undefined {
  const source = typeof body === "string" ? body : body instanceof Uint8Array ? new TextDecoder().decode(body) : query;
  const values = new URLSearchParams(source).getAll("state");
  return values.length === 1 && values[0]!.length <= 2048 && isAcceptableParam("state", values[0]!) ? values[0] : undefined;
}

async function check(c: MalformedCase, f: Fixtures) {
  const { response, text, sentQuery, sentBody } = await send(c, f);
  const headers = response.headers;
  expect(response.status, text.slice(0, 300)).toBe(c.expectStatus);
  expect(response.status).not.toBe(500);
  for (const pattern of leaks) expect(text, `leaks ${pattern}`).not.toMatch(pattern);
  for (const needle of c.mustNotContain ?? []) expect(text).not.toContain(needle);
  expect(headers.get("x-request-id")).toBeTruthy();
  expect(headers.get("x-content-type-options")).toBe("nosniff");

  if ([T, I, R, USERINFO].includes(c.endpoint)) expect(headers.get("cache-control")).toContain("no-store");
  // RFC 6750 §3: UserInfo errors carry a Bearer challenge.
  if (c.endpoint === USERINFO && c.expectStatus !== 405) expect(headers.get("www-authenticate")).toMatch(/^Bearer realm="[^"]+"/);
  if (c.expectStatus === 405) expect(headers.get("allow")).toBeTruthy();
  if (c.expectChallenge === true) expect(headers.get("www-authenticate")).toMatch(/^Basic realm="[^"]+"/);
  if (c.expectChallenge === false) expect(headers.get("www-authenticate")).toBeNull();

  // ---- OIDC logout: begin ----
  if (c.endpoint === LOGOUT && c.expectStatus === 303) {
    // RP-Initiated Logout 1.0 §3: only to our own "signed out" page, which never names the URI;
    // a POST without the session cookie is asked again as a GET of the endpoint (lib/oidc/logout/handler.ts).
    const location = headers.get("location") ?? "";
    const reAsked = c.method === "POST" && (location === LOGOUT || location.startsWith(`${LOGOUT}?`));
    expect(location.startsWith(`${SIGNED_OUT_PATH}`) || reAsked).toBe(true);
    for (const needle of c.mustNotContain ?? []) expect(location).not.toContain(needle);
    expect(headers.get("cache-control")).toContain("no-store");
    return;
  }
  if (c.endpoint === LOGOUT && c.expectStatus !== 405) {
    // RP-Initiated Logout 1.0 §4: an error page for the user, never a redirect, never framed.
    expect(headers.get("location")).toBeNull();
    expect(headers.get("content-type")).toMatch(/^text\/html/);
    expect(headers.get("cache-control")).toContain("no-store");
    expect(headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    if (c.expectError !== undefined) expect(text).toContain(`<code>${c.expectError}</code>`);
    return;
  }
  // ---- OIDC logout: end ----
  const authorizeHtml = (c.endpoint === A || c.endpoint === RESUME) && c.expectStatus !== 405;
  if (authorizeHtml && c.expectStatus === 303) {
    // RFC 6749 §4.1.2.1 + RFC 9207 §2: error, state as sent, iss; never a code.
    const location = headers.get("location");
    expect(location).toBeTruthy();
    expect(location!.startsWith(`${c.expectRedirectTo}?`)).toBe(true);
    const params = new URLSearchParams(location!.slice(c.expectRedirectTo!.length + 1));
    expect(params.get("error")).toBe(c.expectError);
    expect(params.get("error_description") ?? "").toMatch(/^[\x20\x21\x23-\x5B\x5D-\x7E]*$/);
    expect(params.get("iss")).toBe(ISSUER);
    expect(params.get("code")).toBeNull();
    const state = sentState(sentQuery, sentBody);
    if (state === undefined) expect(params.has("state")).toBe(false);
    else expect(params.get("state")).toBe(state);
    expect(headers.get("cache-control")).toContain("no-store");
    expect(text).toBe("");
  } else if (authorizeHtml) {
    // The user is told; the user-agent is not sent anywhere.
    expect(headers.get("location")).toBeNull();
    expect(headers.get("content-type")).toMatch(/^text\/html/);
    expect(headers.get("cache-control")).toContain("no-store");
    expect(text).toContain(`<code>${c.expectError}</code>`);
  } else if (c.expectError !== undefined) {
    expect(headers.get("content-type")).toMatch(/^application\/json/);
    const body = JSON.parse(text) as Record<string, unknown>;
    expect(body.error).toBe(c.expectError);
    // RFC 6749 §5.2: error_description is limited to %x20-21 / %x23-5B / %x5D-7E.
    if (body.error_description !== undefined) expect(body.error_description).toMatch(/^[\x20\x21\x23-\x5B\x5D-\x7E]+$/);
    expect(Object.keys(body).every((k) => ["error", "error_description", "error_uri"].includes(k))).toBe(true);
  }
}

let ctx: TestContext;
let fixtures: Fixtures;

describe(`malformed requests (${databaseKind})`, () => {
  beforeAll(async () => {
    ctx = await createTestContainer();
    const c = ctx.container;
    await runStartupTasks(c);
    await c.scopes.create({ name: "api" });

    const svc = await c.clients.create({ name: "Service", type: "confidential", grantTypes: ["client_credentials"], scopes: ["api"], resources: ["urn:example:api"] });
    const post = await c.clients.create({ name: "Post", type: "confidential", grantTypes: ["client_credentials"], scopes: ["api"], tokenEndpointAuthMethod: "client_secret_post" });
    const web = await c.clients.create({
      name: "Web",
      type: "confidential",
      grantTypes: ["authorization_code", "refresh_token"],
      redirectUris: [REDIRECT],
      scopes: ["openid", "offline_access", "api"],
    });
    const spa = await c.clients.create({ name: "SPA", type: "public", grantTypes: ["authorization_code", "refresh_token"], redirectUris: [REDIRECT], scopes: ["api"] });
    const pair = await generateKeyPair("ES256", { extractable: true });
    strangerKey = (await generateKeyPair("ES256")).privateKey;
    const jwt = await c.clients.create({
      name: "JWT",
      type: "confidential",
      grantTypes: ["client_credentials"],
      scopes: ["api"],
      tokenEndpointAuthMethod: "private_key_jwt",
      jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256" }] },
    });
    const two = await c.clients.create({ name: "Two", type: "confidential", grantTypes: ["authorization_code"], redirectUris: [TWO_A, "https://two.example.com/b"], scopes: ["api"] });
    const native = await c.clients.create({ name: "Native", type: "public", applicationType: "native", grantTypes: ["authorization_code"], redirectUris: [NATIVE], scopes: ["api"] });
    const noCode = await c.clients.create({ name: "No code", type: "confidential", grantTypes: ["authorization_code"], redirectUris: [NO_CODE_REDIRECT] });
    await c.db.prisma.client.update({ where: { id: noCode.client.id }, data: { grantTypes: ["client_credentials"], responseTypes: [] } });
    await c.clients.announceChange(noCode.client.clientId);
    const disabled = await c.clients.create({ name: "Off", type: "public", grantTypes: ["authorization_code"], redirectUris: [REDIRECT] });
    await c.db.prisma.client.update({ where: { id: disabled.client.id }, data: { enabled: false } });
    await c.clients.announceChange(disabled.client.clientId);
    const userId = (await c.users.create({ email: "malformed@example.com", password: "malformed-password-1" })).id;

    const newCode = async (clientRowId: string) => {
      const { verifier, challenge } = pkcePair();
      const code = await storeAuthorizationCode(c, { clientRowId, userId, challenge, redirectUri: REDIRECT, scopes: ["api"] });
      return { code, verifier };
    };
    const first = await newCode(web.client.id);
    const exchanged = await runRoute(
      findRoute(T)!,
      new Request(`${ISSUER}${T}`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic(web.client.clientId, web.clientSecret!) },
        body: enc({ grant_type: "authorization_code", code: first.code, code_verifier: first.verifier, redirect_uri: REDIRECT }),
      }),
      c,
      "10.76.0.1",
    );
    expect(exchanged.status).toBe(200);
    const refreshToken = ((await exchanged.json()) as { refresh_token: string }).refresh_token;
    const issued = await runRoute(
      findRoute(T)!,
      new Request(`${ISSUER}${T}`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic(svc.client.clientId, svc.clientSecret!) },
        body: cc(),
      }),
      c,
      "10.76.0.2",
    );
    expect(issued.status).toBe(200);
    const svcAccessToken = ((await issued.json()) as { access_token: string }).access_token;
    const postIssued = await runRoute(
      findRoute(T)!,
      new Request(`${ISSUER}${T}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: cc({ client_id: post.client.clientId, client_secret: post.clientSecret! }) }),
      c,
      "10.76.0.4",
    );
    expect(postIssued.status).toBe(200);
    const postAccessToken = ((await postIssued.json()) as { access_token: string }).access_token;

    fixtures = {
      svc: { id: svc.client.clientId, secret: svc.clientSecret! },
      post: { id: post.client.clientId, secret: post.clientSecret! },
      web: { id: web.client.clientId, secret: web.clientSecret!, rowId: web.client.id },
      spa: { id: spa.client.clientId, rowId: spa.client.id },
      jwt: { id: jwt.client.clientId, key: pair.privateKey },
      two: { id: two.client.clientId },
      native: { id: native.client.clientId },
      noCode: { id: noCode.client.clientId },
      disabled: { id: disabled.client.clientId },
      userId,
      refreshToken,
      svcAccessToken,
      postAccessToken,
      webCode: () => newCode(web.client.id),
      spaCode: () => newCode(spa.client.id),
    };
  });
  afterAll(() => ctx?.cleanup());

  it("has at least 120 cases with unique names", () => {
    expect(cases.length).toBeGreaterThanOrEqual(120);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.each(cases)("$name", async (c) => {
    await check(c, fixtures);
  });

  it.skipIf(knownDeviations.length === 0).fails.each(knownDeviations)("known deviation: $name", async (c) => {
    await check(c, fixtures);
  });

  it("leaves the fixtures usable: the refresh token and the access token still work", async () => {
    const res = await runRoute(
      findRoute(I)!,
      new Request(`${ISSUER}${I}`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic(fixtures.svc.id, fixtures.svc.secret) },
        body: enc({ token: fixtures.svcAccessToken }),
      }),
      ctx.container,
      "10.76.0.3",
    );
    expect(((await res.json()) as { active: boolean }).active).toBe(true);
  });
});
