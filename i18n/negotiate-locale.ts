/**
 * Locale negotiation for Authly's user interface. Pure: no Next.js, no I/O, so it can be unit-tested
 * and reused by server code (e.g. to pick the language of an email). Matching a language tag to a
 * supported locale is @formatjs/intl-localematcher's "lookup" (RFC 4647 §3.4, the algorithm of
 * ECMA-402's Intl APIs); the sources and their order are Authly's.
 */
import { match } from "@formatjs/intl-localematcher";
import { isLocale, locales, type Locale } from "./locales";

/** Inputs longer than this are cut before parsing: a header is not a place for megabytes. */
const MAX_INPUT_LENGTH = 1024;
/** At most this many language ranges are considered from one list. */
const MAX_ENTRIES = 32;

/** The language subtag of a tag (its first subtag), lower-cased. */
function languageOf(tag: string): string {
  return tag.split("-", 1)[0]!.toLowerCase();
}

/** The canonical form of a BCP 47 tag (RFC 5646), or undefined when it is not well-formed. */
function canonicalize(tag: string): string | undefined {
  try {
    return Intl.getCanonicalLocales(tag)[0];
  } catch {
    return undefined;
  }
}

/**
 * The tag to look up for one requested tag: canonical, "_" read as "-". A tag that is not
 * well-formed still names its language by its first subtag ("de-DE-" -> "de"). A three-letter
 * alias of a two-letter language ("fra", "deu") names nothing: RFC 5646 §2.2.1 registers only the
 * ISO 639-1 code of such a language, so it is not a tag of ours, although ICU would map it.
 */
function requestedTag(tag: string): string | undefined {
  const normalized = tag.trim().replaceAll("_", "-");
  if (normalized === "") return undefined;
  const canonical = canonicalize(normalized) ?? canonicalize(languageOf(normalized));
  if (canonical === undefined || languageOf(canonical) !== languageOf(normalized)) return undefined;
  return canonical;
}

/**
 * The first of `tags` (most preferred first) that one of `available` serves, by RFC 4647 §3.4
 * lookup: "de-CH" is served by "de", "en-Latn-US" by "en". Undefined when none is.
 */
function lookup(tags: readonly string[], available: readonly Locale[]): Locale | undefined {
  const requested = tags.map(requestedTag).filter((tag): tag is string => tag !== undefined);
  if (requested.length === 0 || available.length === 0) return undefined;
  const found = match(requested, available, "", { algorithm: "lookup" });
  return isLocale(found) ? found : undefined;
}

/**
 * Maps one BCP 47 language tag to a supported locale: an exact match (case-insensitive), else the
 * locale of its language ("de-CH" -> "de", "en-Latn-US" -> "en"). Returns undefined when neither
 * is supported.
 */
export function matchLocale(tag: string): Locale | undefined {
  return lookup([tag], locales);
}

/** The first supported locale in a space-separated `ui_locales` list (OIDC Core 1.0 §3.1.2.1). */
function fromUiLocales(value: string): Locale | undefined {
  return lookup(value.slice(0, MAX_INPUT_LENGTH).split(/\s+/).slice(0, MAX_ENTRIES), locales);
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
  // q=0 means "not acceptable" (RFC 9110 §12.4.2): "de;q=0" excludes German; "de-CH;q=0" excludes
  // only a regional variant, which we don't have.
  const excluded = new Set(ranges.filter((range) => range.q <= 0).map((range) => range.tag.toLowerCase()));
  const acceptable = locales.filter((locale) => !excluded.has(locale));
  const preferred = ranges.filter((range) => range.q > 0);
  const wildcard = preferred.findIndex((range) => range.tag === "*");
  const named = lookup((wildcard < 0 ? preferred : preferred.slice(0, wildcard)).map((range) => range.tag), acceptable);
  if (named || wildcard < 0) return named;
  // "*" (RFC 9110 §12.5.4): any language will do: prefer the fallback, else any supported locale not excluded.
  return [fallback, ...locales].find((locale) => !excluded.has(locale));
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
