// The four workloads on each server (Authly and the peer), and the check of one answer before any load.
import { basic, httpRequest, jwtHeader } from "./http.mjs";
import { fail } from "./processes.mjs";

async function tokenFrom(server, path, body, auth) {
  const res = await httpRequest(server.base + path, { method: "POST", body, auth });
  if (res.status !== 200 || typeof res.json?.access_token !== "string") {
    fail(`${server.name}: POST ${path} (${body}) answered ${res.status}, expected 200 with an access_token:\n${res.text.slice(0, 500)}`);
  }
  return res.json.access_token;
}

const authlyToken = (server, ctx) => tokenFrom(server, "/oauth/token", "grant_type=client_credentials&scope=api", basic(ctx.clientId, ctx.clientSecret));
const peerOpaqueToken = (server) => tokenFrom(server, "/token", "grant_type=client_credentials&scope=api&resource=urn%3Abench%3Aopaque", basic("bench", "bench-secret"));

/** The request of each workload for a server, plus what a correct answer contains. */
export function requestsFor(server, ctx) {
  if (server.kind === "authly") {
    const auth = ctx.clientId ? basic(ctx.clientId, ctx.clientSecret) : undefined;
    return {
      client_credentials: { method: "POST", path: "/oauth/token", body: "grant_type=client_credentials&scope=api", auth, expect: "access_token" },
      introspection: { method: "POST", path: "/oauth/introspect", bodyFrom: async () => `token=${encodeURIComponent(await authlyToken(server, ctx))}`, auth, expect: "active" },
      jwks: { method: "GET", path: "/oauth/jwks", expect: "keys" },
      discovery: { method: "GET", path: ctx.discoveryPath, expect: "issuer" },
    };
  }
  const auth = basic("bench", "bench-secret");
  return {
    client_credentials: { method: "POST", path: "/token", body: "grant_type=client_credentials&scope=api", auth, expect: "access_token" },
    // node-oidc-provider introspects only opaque tokens: ask for one with the opaque resource.
    introspection: { method: "POST", path: "/token/introspection", bodyFrom: async () => `token=${encodeURIComponent(await peerOpaqueToken(server))}`, auth, expect: "active" },
    jwks: { method: "GET", path: "/jwks", expect: "keys" },
    discovery: { method: "GET", path: "/.well-known/openid-configuration", expect: "issuer" },
  };
}

/** What is wrong with an answer to a workload's request, or undefined when it is what `spec.expect` asks. */
export function answerProblem(res, spec, issuer) {
  const j = res.json;
  return res.status !== 200
    ? `status ${res.status}`
    : !j
      ? "the answer is not JSON"
      : spec.expect === "access_token" && typeof j.access_token !== "string"
        ? "no access_token"
        : spec.expect === "active" && j.active !== true
          ? `"active" is ${JSON.stringify(j.active)}, expected true`
          : spec.expect === "keys" && !(Array.isArray(j.keys) && j.keys.length > 0)
            ? "no keys"
            : spec.expect === "issuer" && j.issuer !== issuer
              ? `issuer is ${JSON.stringify(j.issuer)}, expected ${JSON.stringify(issuer)}`
              : undefined;
}

/** Resolve the request (fresh token for introspection) and check one answer before the load. */
export async function prepareAndCheck(server, workload, spec, say) {
  const body = spec.bodyFrom ? await spec.bodyFrom() : spec.body;
  const req = { url: server.base + spec.path, method: spec.method, body, auth: spec.auth };
  const res = await httpRequest(req.url, { method: req.method, body: req.body, auth: req.auth });
  const problem = answerProblem(res, spec, server.issuer);
  if (problem) {
    fail(`${server.name}: the ${workload} workload (${spec.method} ${spec.path}) does not work: ${problem}. Expected 200 with ${spec.expect === "active" ? "active: true" : `"${spec.expect}"`}. Answer:\n${res.text.slice(0, 500)}`);
  }
  let note;
  if (workload === "client_credentials") {
    const h = jwtHeader(res.json.access_token);
    note = h ? `JWT ${h.alg}${h.typ ? ` typ ${h.typ}` : ""}` : "opaque token";
    if (server.kind === "authly" && h?.alg !== "RS256") say(`  note: Authly's access token is ${note}, not an RS256 JWT`);
  }
  return { req, note };
}
