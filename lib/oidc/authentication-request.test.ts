import { describe, expect, it } from "vitest";
import {
  PASSWORD_ACR,
  SUPPORTED_ACR_VALUES,
  canSatisfyAcr,
  chooseAcr,
  effectiveMaxAge,
  essentialAcrRequest,
  individuallyRequestedClaims,
  parseAcrValues,
  parsePrompt,
  reauthenticationReason,
  restrictClaimsRequest,
  type ReauthenticationInput,
} from "./authentication-request";
import { nextAuthenticationStep, type AuthenticationStepInput } from "./interaction-policy";

describe("parsePrompt (OIDC Core §3.1.2.1)", () => {
  it("accepts the defined values, space-separated, and drops repeats", () => {
    expect(parsePrompt(undefined)).toEqual({ ok: true, values: [] });
    expect(parsePrompt("none")).toEqual({ ok: true, values: ["none"] });
    expect(parsePrompt("login consent")).toEqual({ ok: true, values: ["login", "consent"] });
    expect(parsePrompt("select_account  login login")).toEqual({ ok: true, values: ["select_account", "login"] });
  });

  it("refuses unknown values (case-sensitive) and none with anything else", () => {
    expect(parsePrompt("LOGIN").ok).toBe(false);
    expect(parsePrompt("login create").ok).toBe(false);
    expect(parsePrompt("none login")).toEqual({ ok: false, description: "prompt=none cannot be combined with other values" });
    expect(parsePrompt("consent none").ok).toBe(false);
  });
});

describe("acr", () => {
  it("publishes the password class only", () => {
    expect(SUPPORTED_ACR_VALUES).toEqual(["urn:authly:acr:password"]);
    expect(PASSWORD_ACR).toBe("urn:authly:acr:password");
  });

  it("parseAcrValues splits on spaces and keeps the order of preference", () => {
    expect(parseAcrValues(undefined)).toEqual([]);
    expect(parseAcrValues("urn:a  urn:b urn:a")).toEqual(["urn:a", "urn:b"]);
  });

  it("chooseAcr takes the first supported value, else the password class", () => {
    expect(chooseAcr([])).toBe(PASSWORD_ACR);
    expect(chooseAcr(["urn:other", PASSWORD_ACR])).toBe(PASSWORD_ACR);
    expect(chooseAcr(["urn:other"])).toBe(PASSWORD_ACR);
    expect(chooseAcr(["urn:other"], [PASSWORD_ACR])).toBe(PASSWORD_ACR);
  });

  it("essentialAcrRequest reads claims.id_token.acr with essential true (OIDC Core §5.5.1.1)", () => {
    expect(essentialAcrRequest(undefined)).toBeNull();
    expect(essentialAcrRequest({ id_token: { acr: null } })).toBeNull();
    expect(essentialAcrRequest({ id_token: { acr: { values: ["urn:x"] } } })).toBeNull();
    expect(essentialAcrRequest({ userinfo: { acr: { essential: true, values: ["urn:x"] } } })).toBeNull();
    expect(essentialAcrRequest({ id_token: { acr: { essential: true } } })).toEqual({ values: null });
    expect(essentialAcrRequest({ id_token: { acr: { essential: true, value: "urn:x" } } })).toEqual({ values: ["urn:x"] });
    expect(essentialAcrRequest({ id_token: { acr: { essential: true, values: ["urn:x", 3, PASSWORD_ACR] } } })).toEqual({ values: ["urn:x", PASSWORD_ACR] });
  });

  it("canSatisfyAcr: any acr, or a list naming a supported one", () => {
    expect(canSatisfyAcr(null)).toBe(true);
    expect(canSatisfyAcr({ values: null })).toBe(true);
    expect(canSatisfyAcr({ values: [PASSWORD_ACR] })).toBe(true);
    expect(canSatisfyAcr({ values: ["urn:mfa"] })).toBe(false);
    expect(canSatisfyAcr({ values: [] })).toBe(false);
  });
});

describe("effectiveMaxAge (OIDC Registration §2 default_max_age)", () => {
  it("the request's max_age overrides the client's default", () => {
    expect(effectiveMaxAge(undefined, null)).toBeUndefined();
    expect(effectiveMaxAge(undefined, 600)).toBe(600);
    expect(effectiveMaxAge(0, 600)).toBe(0);
    expect(effectiveMaxAge(3600, 600)).toBe(3600);
  });
});

describe("reauthenticationReason", () => {
  const now = Date.UTC(2026, 0, 1, 12);
  const base: ReauthenticationInput = {
    prompts: [],
    maxAge: undefined,
    authTimeMs: now - 60_000,
    nowMs: now,
    sessionSubject: "alice",
    essentialAcr: null,
    sessionAcr: PASSWORD_ACR,
  };

  it("none for a plain request", () => {
    expect(reauthenticationReason(base)).toBeNull();
  });

  it("prompt=login and select_account", () => {
    expect(reauthenticationReason({ ...base, prompts: ["login"] })).toBe("prompt");
    expect(reauthenticationReason({ ...base, prompts: ["select_account"] })).toBe("prompt");
    expect(reauthenticationReason({ ...base, prompts: ["consent"] })).toBeNull();
  });

  it("max_age: more seconds elapsed than allowed; max_age=0 always", () => {
    expect(reauthenticationReason({ ...base, maxAge: 60 })).toBeNull();
    expect(reauthenticationReason({ ...base, maxAge: 59 })).toBe("max_age");
    expect(reauthenticationReason({ ...base, maxAge: 0, authTimeMs: now })).toBe("max_age");
  });

  it("an id_token_hint for another subject", () => {
    expect(reauthenticationReason({ ...base, hintSubject: "alice" })).toBeNull();
    expect(reauthenticationReason({ ...base, hintSubject: "bob" })).toBe("id_token_hint");
  });

  it("an essential acr the session does not have", () => {
    expect(reauthenticationReason({ ...base, essentialAcr: { values: [PASSWORD_ACR] } })).toBeNull();
    expect(reauthenticationReason({ ...base, essentialAcr: { values: [PASSWORD_ACR] }, sessionAcr: null })).toBe("acr");
    expect(reauthenticationReason({ ...base, essentialAcr: { values: null }, sessionAcr: null })).toBeNull();
  });
});

describe("nextAuthenticationStep", () => {
  const base: AuthenticationStepInput = {
    prompts: [],
    acrSatisfiable: true,
    hasSession: true,
    reauthentication: null,
    signedInHere: false,
    consentNeeded: false,
    consentDecided: false,
  };

  it("proceeds with a good session and a covering grant", () => {
    expect(nextAuthenticationStep(base)).toEqual({ kind: "proceed" });
    expect(nextAuthenticationStep({ ...base, prompts: ["none"] })).toEqual({ kind: "proceed" });
  });

  it("login without a session, or when the session is not good enough", () => {
    expect(nextAuthenticationStep({ ...base, hasSession: false })).toEqual({ kind: "login" });
    expect(nextAuthenticationStep({ ...base, reauthentication: "max_age" })).toEqual({ kind: "login" });
  });

  it("a sign-in inside the interaction satisfies every reason to re-authenticate", () => {
    expect(nextAuthenticationStep({ ...base, reauthentication: "prompt", signedInHere: true })).toEqual({ kind: "proceed" });
    expect(nextAuthenticationStep({ ...base, reauthentication: "id_token_hint", signedInHere: true, consentNeeded: true })).toEqual({ kind: "consent" });
  });

  it("consent when not covered, and always for prompt=consent until decided", () => {
    expect(nextAuthenticationStep({ ...base, consentNeeded: true })).toEqual({ kind: "consent" });
    expect(nextAuthenticationStep({ ...base, prompts: ["consent"] })).toEqual({ kind: "consent" });
    expect(nextAuthenticationStep({ ...base, prompts: ["consent"], consentDecided: true })).toEqual({ kind: "proceed" });
  });

  it("prompt=none turns each needed step into its error (OIDC Core §3.1.2.6)", () => {
    const none = { ...base, prompts: ["none" as const] };
    expect(nextAuthenticationStep({ ...none, hasSession: false })).toMatchObject({ kind: "error", error: "login_required" });
    expect(nextAuthenticationStep({ ...none, reauthentication: "max_age" })).toMatchObject({ kind: "error", error: "login_required" });
    expect(nextAuthenticationStep({ ...none, reauthentication: "id_token_hint" })).toMatchObject({ kind: "error", error: "login_required" });
    expect(nextAuthenticationStep({ ...none, consentNeeded: true })).toMatchObject({ kind: "error", error: "consent_required" });
  });

  it("an essential acr that cannot be met is access_denied, with or without prompt=none (OIDC Core §5.5.1.1)", () => {
    expect(nextAuthenticationStep({ ...base, acrSatisfiable: false })).toMatchObject({ kind: "error", error: "access_denied" });
    expect(nextAuthenticationStep({ ...base, acrSatisfiable: false, prompts: ["none"], hasSession: false })).toMatchObject({ kind: "error", error: "access_denied" });
  });
});

describe("individuallyRequestedClaims (OIDC Core §5.5)", () => {
  it("lists user claims from both members beyond the scopes, essential if either says so", () => {
    const claims = {
      userinfo: { email: null, given_name: { essential: true }, acr: { essential: true } },
      id_token: { given_name: null, birthdate: { essential: false }, auth_time: { essential: true }, name: null },
      other: { ignored: true },
    };
    expect(individuallyRequestedClaims(claims, ["openid", "profile"])).toEqual([{ name: "email", essential: false }]);
    expect(individuallyRequestedClaims(claims, ["openid"])).toEqual([
      { name: "name", essential: false },
      { name: "given_name", essential: true },
      { name: "birthdate", essential: false },
      { name: "email", essential: false },
    ]);
    expect(individuallyRequestedClaims(undefined, ["openid"])).toEqual([]);
    expect(individuallyRequestedClaims({ id_token: { unknown_claim: null } }, [])).toEqual([]);
  });
});

describe("restrictClaimsRequest", () => {
  it("drops user claims that no allowed scope releases, keeps protocol claims and other members", () => {
    const claims = {
      userinfo: { email: { essential: true }, phone_number: null, name: null },
      id_token: { acr: { essential: true, values: ["urn:x"] }, auth_time: null, birthdate: null },
      extra: { kept: true },
    };
    expect(restrictClaimsRequest(claims, ["openid", "email"])).toEqual({
      userinfo: { email: { essential: true } },
      id_token: { acr: { essential: true, values: ["urn:x"] }, auth_time: null },
      extra: { kept: true },
    });
    expect(restrictClaimsRequest({ id_token: { name: null } }, ["openid", "profile"])).toEqual({ id_token: { name: null } });
    expect(restrictClaimsRequest({}, [])).toEqual({});
  });
});
