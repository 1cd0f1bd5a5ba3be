import { describe, expect, it } from "vitest";
import { basic, findMember, jwtHeader, parseJsonOutput } from "./http.mjs";
import { answerProblem, requestsFor } from "./workloads.mjs";

const ok = (json) => ({ status: 200, json, text: JSON.stringify(json) });

describe("bench workloads", () => {
  it("checks each workload's answer before loading it", () => {
    const specs = requestsFor({ kind: "authly" }, { clientId: "c", clientSecret: "s", discoveryPath: "/.well-known/openid-configuration" });
    expect(answerProblem(ok({ access_token: "x" }), specs.client_credentials, "http://i")).toBeUndefined();
    expect(answerProblem(ok({ error: "invalid_client" }), specs.client_credentials, "http://i")).toBe("no access_token");
    expect(answerProblem({ status: 401, json: {}, text: "" }, specs.client_credentials, "http://i")).toBe("status 401");
    expect(answerProblem({ status: 200, json: undefined, text: "<html>" }, specs.jwks, "http://i")).toBe("the answer is not JSON");
    expect(answerProblem(ok({ active: false }), specs.introspection, "http://i")).toBe('"active" is false, expected true');
    expect(answerProblem(ok({ keys: [] }), specs.jwks, "http://i")).toBe("no keys");
    expect(answerProblem(ok({ issuer: "http://other" }), specs.discovery, "http://i")).toBe('issuer is "http://other", expected "http://i"');
    expect(answerProblem(ok({ issuer: "http://i" }), specs.discovery, "http://i")).toBeUndefined();
  });

  it("sends the same work to both servers at their own paths", () => {
    const authly = requestsFor({ kind: "authly" }, { clientId: "id:1", clientSecret: "s/2", discoveryPath: "/.well-known/oauth-authorization-server" });
    const peer = requestsFor({ kind: "peer" }, {});
    expect(authly.client_credentials).toMatchObject({ method: "POST", path: "/oauth/token", body: "grant_type=client_credentials&scope=api", auth: basic("id:1", "s/2") });
    expect(peer.client_credentials).toMatchObject({ method: "POST", path: "/token", body: "grant_type=client_credentials&scope=api", auth: basic("bench", "bench-secret") });
    expect(authly.discovery.path).toBe("/.well-known/oauth-authorization-server");
    expect(peer.jwks.path).toBe("/jwks");
    // RFC 6749 §2.3.1: the client id and secret are form-encoded before Basic encoding.
    expect(Buffer.from(basic("id:1", "s/2").slice(6), "base64").toString()).toBe("id%3A1:s%2F2");
  });

  it("reads JSON printed among notices and finds the client's credentials in it", () => {
    const out = 'notice: migrated\n{"client": {"client_id": "abc", "client_secret": "xyz"}}\n';
    const json = parseJsonOutput(out);
    expect(findMember(json, ["client_id"])).toBe("abc");
    expect(findMember(json, ["client_secret", "secret"])).toBe("xyz");
    expect(parseJsonOutput("no json here")).toBeUndefined();
  });

  it("reads a JWT's header and nothing else", () => {
    const header = Buffer.from(JSON.stringify({ alg: "RS256", typ: "at+jwt" })).toString("base64url");
    expect(jwtHeader(`${header}.e30.sig`)).toEqual({ alg: "RS256", typ: "at+jwt" });
    expect(jwtHeader("opaque-token")).toBeUndefined();
  });
});
