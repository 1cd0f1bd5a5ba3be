/**
 * The check_session iframe's script, run in a sandbox with Node's Web Crypto, against session_state
 * values computed by the server (lib/oidc/session-state.ts): both sides must agree byte for byte.
 */
import { createHash, webcrypto } from "node:crypto";
import vm from "node:vm";
import { describe, expect, it } from "vitest";
import type { RouteContext } from "../http/types";
import { checkSessionHandler, checkSessionPolicy, checkSessionScript, checkSessionScriptHash } from "./check-session";
import { BROWSER_STATE_COOKIE, computeSessionState } from "./session-state";

const RP = "https://rp.example.com";
const CLIENT = "client-123";
const OPBS = "Zm9vYmFyLWJyb3dzZXItc3RhdGU";

interface Frame {
  /** Posts a message to the iframe; resolves with its answer, or undefined when it does not answer. */
  post(data: unknown, origin?: string): Promise<string | undefined>;
  document: { cookie: string };
}

/** Loads the script into a fresh sandbox that looks like an embedded iframe. */
function loadFrame(options: { cookie?: string; ancestorOrigins?: string[]; framed?: boolean; subtle?: boolean } = {}): Frame {
  let listener: ((event: unknown) => void) | undefined;
  let digests = 0;
  const subtle = { digest: (alg: string, data: Uint8Array) => (digests++, webcrypto.subtle.digest(alg, data)) };
  const window: Record<string, unknown> = {
    addEventListener: (type: string, fn: (event: unknown) => void) => {
      if (type === "message") listener = fn;
    },
    location: { ancestorOrigins: options.ancestorOrigins },
    crypto: options.subtle === false ? {} : { subtle },
  };
  window.parent = options.framed === false ? window : {};
  const document = { cookie: options.cookie ?? "" };
  vm.runInNewContext(checkSessionScript, { window, document, TextEncoder });
  expect(listener).toBeTypeOf("function");
  return {
    document,
    post(data, origin = RP) {
      return new Promise((resolve) => {
        const before = digests;
        let answered = false;
        const source = {
          postMessage(answer: string, target: string) {
            // The answer goes to the sender's origin only (§3.2).
            expect(target).toBe(origin);
            answered = true;
            resolve(answer);
          },
        };
        listener!({ data, origin, source });
        // Nothing answered synchronously and no digest started: it will never answer.
        if (!answered && digests === before) resolve(undefined);
      });
    },
  };
}

describe("check_session iframe script", () => {
  const cookie = `other=1; ${BROWSER_STATE_COOKIE}=${OPBS}; last=x%20y`;

  it("answers unchanged for the session_state the server issued, changed once the browser state differs", async () => {
    const state = computeSessionState(CLIENT, RP, OPBS);
    const frame = loadFrame({ cookie });
    expect(await frame.post(`${CLIENT} ${state}`)).toBe("unchanged");
    // Another salt, same browser state: still the same session.
    expect(await frame.post(`${CLIENT} ${computeSessionState(CLIENT, RP, OPBS)}`)).toBe("unchanged");

    // Signed in again as another session: a new browser state cookie.
    frame.document.cookie = `${BROWSER_STATE_COOKIE}=another-state`;
    expect(await frame.post(`${CLIENT} ${state}`)).toBe("changed");
    // Logged out: the cookie is gone and opbs is "": a signed-in state is "changed", while the
    // state issued to a browser without a session (an authentication failure) is "unchanged".
    frame.document.cookie = "other=1";
    expect(await frame.post(`${CLIENT} ${state}`)).toBe("changed");
    expect(await frame.post(`${CLIENT} ${computeSessionState(CLIENT, RP, "")}`)).toBe("unchanged");
  });

  it("binds the answer to the client and to the origin of the message", async () => {
    const frame = loadFrame({ cookie });
    const state = computeSessionState(CLIENT, RP, OPBS);
    expect(await frame.post(`other-client ${state}`)).toBe("changed");
    // A page of another origin (where the browser cannot tell the parent's origin) replaying the RP's state.
    expect(await frame.post(`${CLIENT} ${state}`, "https://evil.example.com")).toBe("changed");
    const [hash, salt] = state.split(".");
    expect(await frame.post(`${CLIENT} ${hash}.${salt}0`)).toBe("changed");
    expect(await frame.post(`${CLIENT} ${hash!.replace(/^./, (c) => (c === "0" ? "1" : "0"))}.${salt}`)).toBe("changed");
  });

  it("reads a percent-encoded cookie value like the server wrote it", async () => {
    const opbs = "a b+c/=";
    const frame = loadFrame({ cookie: `${BROWSER_STATE_COOKIE}=${encodeURIComponent(opbs)}` });
    expect(await frame.post(`${CLIENT} ${computeSessionState(CLIENT, RP, opbs)}`)).toBe("unchanged");
    frame.document.cookie = `${BROWSER_STATE_COOKIE}=%E0%A4%A`; // not decodable: treated as absent
    expect(await frame.post(`${CLIENT} ${computeSessionState(CLIENT, RP, "")}`)).toBe("unchanged");
  });

  it("answers error to anything that is not client_id SP session_state", async () => {
    const frame = loadFrame({ cookie });
    const state = computeSessionState(CLIENT, RP, OPBS);
    for (const data of [
      "garbage",
      "",
      CLIENT,
      `${CLIENT}  ${state}`,
      `${CLIENT} ${state} extra`,
      ` ${state}`,
      `${CLIENT} ${state.split(".")[0]}`,
      `${CLIENT} ${state.split(".")[0]}.`,
      `${CLIENT} ${state.toUpperCase()}`,
      `${CLIENT} nothex.${state.split(".")[1]}`,
      `${"x".repeat(256)} ${state}`,
      { client_id: CLIENT, session_state: state },
      null,
      42,
    ]) {
      expect(await frame.post(data), JSON.stringify(data)).toBe("error");
    }
  });

  it("answers error when the browser has no Web Crypto (not a secure context)", async () => {
    const frame = loadFrame({ cookie, subtle: false });
    expect(await frame.post(`${CLIENT} ${computeSessionState(CLIENT, RP, OPBS)}`)).toBe("error");
  });

  it("ignores messages from any origin but its parent's, and every message when it is not framed (§3.2)", async () => {
    const state = computeSessionState(CLIENT, RP, OPBS);
    const framed = loadFrame({ cookie, ancestorOrigins: [RP, "https://top.example.com"] });
    expect(await framed.post(`${CLIENT} ${state}`)).toBe("unchanged");
    expect(await framed.post(`${CLIENT} ${state}`, "https://sub.rp.example.com")).toBeUndefined();
    expect(await framed.post("garbage", "https://evil.example.com")).toBeUndefined();
    expect(await framed.post(`${CLIENT} ${state}`, "null")).toBeUndefined();

    // A browser that masks the parent's origin ("null"): the hash still binds the answer to the origin.
    const masked = loadFrame({ cookie, ancestorOrigins: ["null"] });
    expect(await masked.post(`${CLIENT} ${state}`)).toBe("unchanged");

    const popup = loadFrame({ cookie, framed: false });
    expect(await popup.post(`${CLIENT} ${state}`)).toBeUndefined();
    expect(await popup.post("garbage")).toBeUndefined();
  });
});

describe("check_session page", () => {
  const ctx = (origins: string[]) => ({ container: { clients: { authorizationCodeOrigins: async () => origins } } }) as unknown as RouteContext;

  it("allows its one inline script by hash, and nothing else", async () => {
    const response = await checkSessionHandler(new Request("http://localhost:3000/oidc/check-session"), ctx([RP]));
    const body = await response.text();
    const scripts = [...body.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(scripts).toHaveLength(1);
    expect(scripts[0]).toBe(checkSessionScript);
    const hash = `'sha256-${createHash("sha256").update(scripts[0]!).digest("base64")}'`;
    expect(hash).toBe(checkSessionScriptHash);
    const csp = response.headers.get("content-security-policy")!;
    expect(csp.split("; ")).toEqual(["default-src 'none'", `script-src ${hash}`, "base-uri 'none'", "form-action 'none'", `frame-ancestors ${RP}`]);
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    // No other resource: no src, no href, no style.
    expect(body).not.toMatch(/\ssrc=|\shref=|<style|<link/);
  });

  it("lists the registered origins as frame-ancestors, or 'none'", () => {
    const ancestors = (origins: string[]) => checkSessionPolicy(origins).split("; ").find((d) => d.startsWith("frame-ancestors "));
    expect(ancestors([])).toBe("frame-ancestors 'none'");
    expect(ancestors(["https://a.example.com", "http://127.0.0.1:8080", "http://[::1]:3000", "https://xn--bcher-kva.example"])).toBe(
      "frame-ancestors https://a.example.com http://127.0.0.1:8080 http://[::1]:3000 https://xn--bcher-kva.example",
    );
    // WHATWG URL hosts may hold characters that would end the directive: such origins are left out.
    expect(new URL("https://a;b,c.example/").origin).toBe("https://a;b,c.example");
    expect(ancestors(["https://a;b,c.example", "https://x'y.example", "null", "https://ok.example"])).toBe("frame-ancestors https://ok.example");
    expect(ancestors(["https://a;b.example"])).toBe("frame-ancestors 'none'");
  });
});
