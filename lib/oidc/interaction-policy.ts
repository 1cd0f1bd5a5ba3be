/**
 * What an authorization request needs from the user next, as data (the shape of
 * node-oidc-provider's `interaction_policy`): an ordered list of prompts, each with an ordered list
 * of checks. The first check that fails decides. Its prompt is shown to the user (the interaction
 * goes to that prompt's page), or, with prompt=none, the prompt's error goes back to the client
 * (OIDC Core §3.1.2.6). A check may instead refuse the request outright, whatever `prompt` says.
 * When no check fails, the code is issued.
 *
 * The checks read facts gathered by the interaction service (lib/oauth/interaction/flow.ts) for
 * one request: the `prompt` values, the browser's session and how good it is
 * (reauthenticationReason in ./authentication-request.ts: prompt=login, max_age, id_token_hint,
 * an essential acr), whether a grant covers the request, and what already happened inside this
 * interaction. Pure: no I/O, no time.
 *
 * A new prompt is one more entry: its name (which the interaction pages map to a path, so the
 * compiler asks for the page), the error prompt=none answers with, and its checks. A second
 * factor, say, after the login and before consent:
 *
 *   { name: "mfa", noneError: "interaction_required",
 *     checks: [{ name: "second_factor_missing", reason: "a second factor is required", check: (f) => f.secondFactorRequired && !f.secondFactorDone }] }
 *
 * with those two facts added to InteractionFacts.
 */
import type { PromptValue, ReauthenticationReason } from "./authentication-request";

/** OIDC Core §3.1.2.6 authentication errors, and access_denied (RFC 6749 §4.1.2.1). */
export type AuthenticationError = "login_required" | "consent_required" | "interaction_required" | "access_denied";

/** The facts the checks read, for one authorization request. */
export interface InteractionFacts {
  prompts: readonly PromptValue[];
  /** canSatisfyAcr(essentialAcrRequest(claims)). */
  acrSatisfiable: boolean;
  hasSession: boolean;
  /** reauthenticationReason for the session (null when there is none or it is good enough). */
  reauthentication: ReauthenticationReason | null;
  /** The browser's session was created by a sign-in inside this very interaction. */
  signedInHere: boolean;
  /** No grant covers the request's scopes and claims (and the client asks for consent). */
  consentNeeded: boolean;
  /** The user already answered this interaction's consent screen. */
  consentDecided: boolean;
}

/** The name the facts go by as nextAuthenticationStep's input. */
export type AuthenticationStepInput = InteractionFacts;

export interface PolicyCheck<Facts = InteractionFacts> {
  /** What is missing, in node-oidc-provider's style ("no_session"): the decision names it. */
  name: string;
  /** The same in words: the error_description when the check refuses or prompt=none forbids its prompt. */
  reason: string;
  /** True when the check fails: its prompt is needed (or, with `refuse`, the request fails). */
  check(facts: Facts): boolean;
  /** When set, a failure is this error to the client instead of a prompt, with or without prompt=none. */
  refuse?: AuthenticationError;
}

export interface PolicyPrompt<Name extends string = string, Facts = InteractionFacts> {
  name: Name;
  /** OIDC Core §3.1.2.6: the error when prompt=none forbids showing this prompt. */
  noneError: AuthenticationError;
  checks: readonly PolicyCheck<Facts>[];
}

/** Authly's policy: sign-in, then consent. */
export const interactionPolicy = [
  {
    name: "login",
    // OIDC Core §3.1.2.6 login_required: "The Authorization Server requires End-User authentication."
    noneError: "login_required",
    checks: [
      {
        // OIDC Core §5.5.1.1: "If this is an Essential Claim and the requirement cannot be met, then
        // the Authorization Server MUST treat that outcome as a failed authentication attempt."
        name: "essential_acr_unsatisfiable",
        reason: "the requested authentication context class cannot be satisfied",
        refuse: "access_denied",
        check: (f) => !f.acrSatisfiable,
      },
      { name: "no_session", reason: "the End-User is not signed in", check: (f) => !f.hasSession },
      {
        // OIDC Core §3.1.2.1 prompt=login/select_account, max_age, id_token_hint; §5.5.1.1 an essential
        // acr the session lacks. A sign-in completed inside this interaction satisfies each of them.
        name: "reauthentication",
        reason: "the End-User must authenticate again",
        check: (f) => f.reauthentication !== null && !f.signedInHere,
      },
    ],
  },
  {
    name: "consent",
    // OIDC Core §3.1.2.6 consent_required: "The Authorization Server requires End-User consent."
    noneError: "consent_required",
    checks: [
      {
        // OIDC Core §3.1.2.1 prompt=consent: "SHOULD prompt the End-User for consent before returning information".
        name: "consent_prompt",
        reason: "the client asks for consent again (prompt=consent)",
        check: (f) => f.prompts.includes("consent") && !f.consentDecided,
      },
      {
        // No active grant covers the requested scopes and claims (OIDC Core §5.5), and the client asks for consent.
        name: "grant_missing",
        reason: "the End-User has not consented to this request",
        check: (f) => f.consentNeeded && !f.consentDecided,
      },
    ],
  },
] as const satisfies readonly PolicyPrompt[];

/** The prompts of Authly's policy: the pages an interaction can be at. */
export type InteractionPrompt = (typeof interactionPolicy)[number]["name"];

export type PolicyDecision<Name extends string = InteractionPrompt> =
  /** Nothing more is needed: issue the code. */
  | { kind: "proceed" }
  /** Show this prompt; `check` failed, for `reason`. */
  | { kind: "prompt"; prompt: Name; check: string; reason: string }
  /** An error to the client: a refusing check, or prompt=none (OIDC Core §3.1.2.6). */
  | { kind: "error"; error: AuthenticationError; description: string; prompt: Name; check: string };

/** Runs the checks of `policy` in order; the first that fails decides (see the module comment). */
export function evaluateInteractionPolicy<Name extends string, Facts extends { prompts: readonly PromptValue[] }>(
  policy: readonly PolicyPrompt<Name, Facts>[],
  facts: Facts,
): PolicyDecision<Name> {
  // OIDC Core §3.1.2.1 prompt=none: "The Authorization Server MUST NOT display any authentication or
  // consent user interface pages. An error is returned if an End-User is not already authenticated
  // or the Client does not have pre-configured consent for the requested Claims".
  const none = facts.prompts.includes("none");
  for (const prompt of policy) {
    for (const check of prompt.checks) {
      if (!check.check(facts)) continue;
      if (check.refuse) return { kind: "error", error: check.refuse, description: check.reason, prompt: prompt.name, check: check.name };
      if (none) return { kind: "error", error: prompt.noneError, description: check.reason, prompt: prompt.name, check: check.name };
      return { kind: "prompt", prompt: prompt.name, check: check.name, reason: check.reason };
    }
  }
  return { kind: "proceed" };
}

export type AuthenticationStep =
  | { kind: InteractionPrompt }
  /** Nothing more is needed: issue the code. */
  | { kind: "proceed" }
  | { kind: "error"; error: AuthenticationError; description: string };

/** What the request needs next under Authly's policy: a prompt, nothing, or an error for the client. */
export function nextAuthenticationStep(input: AuthenticationStepInput): AuthenticationStep {
  const decision = evaluateInteractionPolicy(interactionPolicy, input);
  switch (decision.kind) {
    case "proceed":
      return { kind: "proceed" };
    case "prompt":
      return { kind: decision.prompt };
    case "error":
      return { kind: "error", error: decision.error, description: decision.description };
  }
}
