/**
 * Locale negotiation for Authly's user interface. Pure: no Next.js, no I/O, so it can be unit-tested
 * and reused by server code (e.g. to pick the language of an email).
 */

export const locales = ["en", "de", "fr"] as const;
export type Locale = (typeof locales)[number];
export const defaultLocale: Locale = "en";

/** Inputs longer than this are cut before parsing: a header is not a place for megabytes. */
const MAX_INPUT_LENGTH = 1024;
/** At most this many language ranges are considered from one list. */
const MAX_ENTRIES = 32;

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (locales as readonly string[]).includes(value);
}

/**
 * Maps one BCP 47 language tag to a supported locale: an exact match first (case-insensitive),
 * then its primary language subtag ("de-CH" -> "de", "en-Latn-US" -> "en"). Returns undefined
 * when neither is supported.
 */
export function matchLocale(tag: string): Locale | undefined {
  const normalized = tag.trim().toLowerCase().replaceAll("_", "-");
  if (normalized === "") return undefined;
  if (isLocale(normalized)) return normalized;
  const primary = normalized.split("-", 1)[0];
  return isLocale(primary) ? primary : undefined;
}

/** The first supported locale in a space-separated `ui_locales` list (OIDC Core 1.0 §3.1.2.1). */
function fromUiLocales(value: string): Locale | undefined {
  const tags = value.slice(0, MAX_INPUT_LENGTH).split(/\s+/).slice(0, MAX_ENTRIES);
  for (const tag of tags) {
    const match = matchLocale(tag);
    if (match) return match;
  }
  return undefined;
}

interface LanguageRange {
  tag: string;
  q: number;
  index: number;
}

/**
 * Parses an Accept-Language header (RFC 9110 §12.5.4) into language ranges, most preferred first.
 * Ranges with q=0 ("not acceptable") are kept so that a wildcard can respect them; entries with a
 * malformed weight are ignored.
 */
export function parseAcceptLanguage(header: string): LanguageRange[] {
  const ranges: LanguageRange[] = [];
  const parts = header.slice(0, MAX_INPUT_LENGTH).split(",").slice(0, MAX_ENTRIES);
  parts.forEach((part, index) => {
    const [rawTag = "", ...params] = part.split(";");
    const tag = rawTag.trim();
    if (!/^(\*|[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)$/.test(tag)) return;
    let q = 1;
    for (const param of params) {
      const [name = "", value = ""] = param.split("=").map((s) => s.trim());
      if (name.toLowerCase() !== "q") continue;
      if (!/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(value)) return;
      q = Number(value);
    }
    ranges.push({ tag, q, index });
  });
  // Stable: equal weights keep the order the client sent them in.
  return ranges.sort((a, b) => b.q - a.q || a.index - b.index);
}

function fromAcceptLanguage(header: string, fallback: Locale): Locale | undefined {
  const ranges = parseAcceptLanguage(header);
  const excluded = new Set<Locale>();
  for (const range of ranges) {
    if (range.q > 0) continue;
    // "de;q=0" excludes German; "de-CH;q=0" excludes only a regional variant, which we don't have.
    const tag = range.tag.toLowerCase();
    if (isLocale(tag)) excluded.add(tag);
  }
  for (const range of ranges) {
    if (range.q <= 0) break;
    if (range.tag === "*") {
      // Any language will do: prefer the fallback, else any supported locale not excluded.
      return [fallback, ...locales].find((l) => !excluded.has(l));
    }
    const match = matchLocale(range.tag);
    if (match && !excluded.has(match)) return match;
  }
  return undefined;
}

export interface NegotiateLocaleInput {
  /** The OIDC `ui_locales` request parameter: space-separated BCP 47 tags, most preferred first. */
  uiLocales?: string | null;
  /** The value of the `authly_locale` cookie: the language the user chose explicitly. */
  cookie?: string | null;
  /** The `Accept-Language` request header. */
  acceptLanguage?: string | null;
  /** Used when nothing else yields a supported locale. */
  fallback: Locale;
}

/**
 * Picks the user-interface locale. The first source that names a supported locale wins:
 * 1. `ui_locales` (the relying party asked for it on this request),
 * 2. the `authly_locale` cookie (the user's explicit choice),
 * 3. `Accept-Language` (the browser's preference, by weight),
 * 4. `fallback`.
 */
export function negotiateLocale({ uiLocales, cookie, acceptLanguage, fallback }: NegotiateLocaleInput): Locale {
  if (uiLocales) {
    const match = fromUiLocales(uiLocales);
    if (match) return match;
  }
  if (cookie) {
    const value = cookie.trim().toLowerCase();
    if (isLocale(value)) return value;
  }
  if (acceptLanguage) {
    const match = fromAcceptLanguage(acceptLanguage, fallback);
    if (match) return match;
  }
  return fallback;
}
