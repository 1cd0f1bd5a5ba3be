import { describe, expect, it } from "vitest";
import {
  evaluateInteractionPolicy,
  interactionPolicy,
  nextAuthenticationStep,
  type InteractionFacts,
  type PolicyPrompt,
} from "./interaction-policy";

/** Signed in with a good session, a covering grant, nothing asked: nothing to do. */
const satisfied: InteractionFacts = {
  prompts: [],
  acrSatisfiable: true,
  hasSession: true,
  reauthentication: null,
  signedInHere: false,
  consentNeeded: false,
  consentDecided: false,
};

const decide = (facts: Partial<InteractionFacts>) => evaluateInteractionPolicy(interactionPolicy, { ...satisfied, ...facts });

describe("interactionPolicy", () => {
  it("asks for login, then consent, each check named once", () => {
    expect(interactionPolicy.map((p) => p.name)).toEqual(["login", "consent"]);
    expect(interactionPolicy.map((p) => p.checks.map((c) => c.name))).toEqual([
      ["essential_acr_unsatisfiable", "no_session", "reauthentication"],
      ["consent_prompt", "grant_missing"],
    ]);
  });

  it("proceeds when no check fails, also with prompt=none", () => {
    expect(decide({})).toEqual({ kind: "proceed" });
    expect(decide({ prompts: ["none"] })).toEqual({ kind: "proceed" });
  });
});

describe("the login checks", () => {
  it("essential_acr_unsatisfiable refuses with access_denied, with or without prompt=none (OIDC Core §5.5.1.1)", () => {
    const refused = {
      kind: "error",
      error: "access_denied",
      description: "the requested authentication context class cannot be satisfied",
      prompt: "login",
      check: "essential_acr_unsatisfiable",
    };
    expect(decide({ acrSatisfiable: false })).toEqual(refused);
    expect(decide({ acrSatisfiable: false, prompts: ["none"] })).toEqual(refused);
    // Before anything else: no session and no grant change nothing.
    expect(decide({ acrSatisfiable: false, hasSession: false, consentNeeded: true })).toEqual(refused);
  });

  it("no_session asks for login", () => {
    expect(decide({ hasSession: false })).toEqual({ kind: "prompt", prompt: "login", check: "no_session", reason: "the End-User is not signed in" });
  });

  it("reauthentication asks for login for every reason, until a sign-in inside the interaction", () => {
    for (const reason of ["prompt", "max_age", "id_token_hint", "acr"] as const) {
      expect(decide({ reauthentication: reason })).toMatchObject({ kind: "prompt", prompt: "login", check: "reauthentication" });
      expect(decide({ reauthentication: reason, signedInHere: true })).toEqual({ kind: "proceed" });
    }
  });
});

describe("the consent checks", () => {
  it("consent_prompt asks for consent until the user answered (OIDC Core §3.1.2.1 prompt=consent)", () => {
    expect(decide({ prompts: ["consent"] })).toMatchObject({ kind: "prompt", prompt: "consent", check: "consent_prompt" });
    expect(decide({ prompts: ["consent"], consentDecided: true })).toEqual({ kind: "proceed" });
  });

  it("grant_missing asks for consent until the user answered", () => {
    expect(decide({ consentNeeded: true })).toEqual({
      kind: "prompt",
      prompt: "consent",
      check: "grant_missing",
      reason: "the End-User has not consented to this request",
    });
    expect(decide({ consentNeeded: true, consentDecided: true })).toEqual({ kind: "proceed" });
  });
});

describe("ordering", () => {
  it("the first failing check decides: login before consent, checks in their listed order", () => {
    expect(decide({ hasSession: false, consentNeeded: true, prompts: ["consent"] })).toMatchObject({ prompt: "login", check: "no_session" });
    expect(decide({ reauthentication: "max_age", consentNeeded: true })).toMatchObject({ prompt: "login", check: "reauthentication" });
    expect(decide({ prompts: ["consent"], consentNeeded: true })).toMatchObject({ prompt: "consent", check: "consent_prompt" });
  });

  it("a sign-in inside the interaction moves on to consent", () => {
    expect(decide({ reauthentication: "id_token_hint", signedInHere: true, consentNeeded: true })).toMatchObject({ prompt: "consent", check: "grant_missing" });
  });
});

describe("prompt=none (OIDC Core §3.1.2.6)", () => {
  const none = { prompts: ["none" as const] };

  it("turns a login check into login_required, with the check's reason", () => {
    expect(decide({ ...none, hasSession: false })).toEqual({
      kind: "error",
      error: "login_required",
      description: "the End-User is not signed in",
      prompt: "login",
      check: "no_session",
    });
    expect(decide({ ...none, reauthentication: "max_age" })).toEqual({
      kind: "error",
      error: "login_required",
      description: "the End-User must authenticate again",
      prompt: "login",
      check: "reauthentication",
    });
  });

  it("turns a consent check into consent_required", () => {
    expect(decide({ ...none, consentNeeded: true })).toEqual({
      kind: "error",
      error: "consent_required",
      description: "the End-User has not consented to this request",
      prompt: "consent",
      check: "grant_missing",
    });
  });

  it("answers with the first failing prompt's error", () => {
    expect(decide({ ...none, hasSession: false, consentNeeded: true })).toMatchObject({ error: "login_required" });
  });
});

describe("a further prompt is one entry", () => {
  // What a second factor would look like: a fact of its own, and a prompt between login and consent.
  type Facts = InteractionFacts & { secondFactorMissing: boolean };
  const mfa: PolicyPrompt<"mfa", Facts> = {
    name: "mfa",
    noneError: "interaction_required",
    checks: [{ name: "second_factor_missing", reason: "a second factor is required", check: (f) => f.secondFactorMissing }],
  };
  const [login, consent] = interactionPolicy;
  const policy: readonly PolicyPrompt<string, Facts>[] = [login, mfa, consent];
  const facts: Facts = { ...satisfied, secondFactorMissing: true };

  it("is asked for in its place, after login and before consent", () => {
    expect(evaluateInteractionPolicy(policy, facts)).toMatchObject({ kind: "prompt", prompt: "mfa", check: "second_factor_missing" });
    expect(evaluateInteractionPolicy(policy, { ...facts, hasSession: false })).toMatchObject({ prompt: "login" });
    expect(evaluateInteractionPolicy(policy, { ...facts, consentNeeded: true })).toMatchObject({ prompt: "mfa" });
    expect(evaluateInteractionPolicy(policy, { ...facts, secondFactorMissing: false, consentNeeded: true })).toMatchObject({ prompt: "consent" });
  });

  it("maps prompt=none to its own error (interaction_required, OIDC Core §3.1.2.6)", () => {
    expect(evaluateInteractionPolicy(policy, { ...facts, prompts: ["none"] })).toMatchObject({ kind: "error", error: "interaction_required", prompt: "mfa" });
  });
});

describe("nextAuthenticationStep", () => {
  it("is the policy's decision as the step the interaction service takes", () => {
    expect(nextAuthenticationStep(satisfied)).toEqual({ kind: "proceed" });
    expect(nextAuthenticationStep({ ...satisfied, hasSession: false })).toEqual({ kind: "login" });
    expect(nextAuthenticationStep({ ...satisfied, consentNeeded: true })).toEqual({ kind: "consent" });
    expect(nextAuthenticationStep({ ...satisfied, prompts: ["none"], consentNeeded: true })).toEqual({
      kind: "error",
      error: "consent_required",
      description: "the End-User has not consented to this request",
    });
  });
});
