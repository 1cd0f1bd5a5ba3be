/**
 * The one rule for text that arrives at the edge: query and form parameters, client credentials,
 * bearer tokens and the claims Authly reads from a client assertion before verifying it.
 *
 * Text is acceptable when it is well-formed Unicode (no lone surrogate: UTF-16 cannot carry one
 * as UTF-8, and PostgreSQL stores only valid UTF-8) and holds no control character of C0
 * (U+0000-U+001F) or DEL (U+007F). PostgreSQL cannot store NUL in text or jsonb at all; the other
 * controls are outside the syntax of every protocol parameter Authly reads: RFC 6749 Appendix A
 * builds client_id, client_secret, state, code, tokens (VSCHAR, %x20-7E), scope (NQCHAR) and
 * grant_type (name-char) from printable characters only, and redirect URIs (RFC 3986) and ID
 * tokens (RFC 7519, base64url) have none either. The exception is a parameter whose value is JSON
 * (the OIDC Core §5.5 `claims` request): RFC 8259 §2 allows tab, line feed and carriage return as
 * insignificant whitespace there.
 *
 * Invalid UTF-8 never gets this far: the form and query readers decode strictly and refuse it
 * (lib/oauth/params.ts), as does the Basic credentials parser (lib/oauth/client-auth.ts).
 */

/** A C0 control or DEL. */
const CONTROL = /[\u0000-\u001F\u007F]/;
/** The same, but tab, line feed and carriage return are allowed (JSON whitespace, RFC 8259 §2). */
const CONTROL_IN_JSON = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
/**
 * Printable ASCII only: most input (tokens, ids, URLs) is, and one anchored scan settles it (a
 * hot path: a positive character class scans about three times faster than a search for a
 * forbidden one).
 */
const PRINTABLE_ASCII = /^[\x20-\x7E]*$/;

export interface TextRuleOptions {
  /** The value is JSON text: tab, line feed and carriage return are allowed (RFC 8259 §2). */
  json?: boolean;
}

/** True when `value` may be used as input (see the module comment for the rule). */
export function isAcceptableText(value: string, options?: TextRuleOptions): boolean {
  if (PRINTABLE_ASCII.test(value)) return true;
  // Paired surrogates are fine (characters outside the BMP); isWellFormed finds lone ones.
  return !(options?.json ? CONTROL_IN_JSON : CONTROL).test(value) && value.isWellFormed();
}

/**
 * Parameters whose values are JSON text (OIDC Core §5.5 `claims`). Every other parameter follows
 * the strict rule.
 */
const jsonParameters = new Set(["claims"]);

/** The rule for one named request parameter (query or form body). */
export function isAcceptableParam(name: string, value: string): boolean {
  return isAcceptableText(value, { json: jsonParameters.has(name) });
}
