import { describe, expect, it } from "vitest";
import { isLocale } from "./locales";
import { matchLocale, negotiateLocale, parseAcceptLanguage } from "./negotiate-locale";

describe("matchLocale", () => {
  it("matches exactly, case-insensitively", () => {
    expect(matchLocale("de")).toBe("de");
    expect(matchLocale("EN")).toBe("en");
    expect(matchLocale("fr")).toBe("fr");
    expect(matchLocale("FR")).toBe("fr");
  });

  it("falls back to the primary language subtag", () => {
    expect(matchLocale("de-CH")).toBe("de");
    expect(matchLocale("en-Latn-US")).toBe("en");
    expect(matchLocale("de_AT")).toBe("de");
    expect(matchLocale("fr-CH")).toBe("fr");
    expect(matchLocale("fr-CA")).toBe("fr");
    expect(matchLocale("fr_BE")).toBe("fr");
  });

  it("rejects unsupported and empty tags", () => {
    expect(matchLocale("it")).toBeUndefined();
    expect(matchLocale("es-FR")).toBeUndefined();
    expect(matchLocale("fra")).toBeUndefined();
    expect(matchLocale("")).toBeUndefined();
    expect(matchLocale("   ")).toBeUndefined();
  });
});

describe("isLocale", () => {
  it("accepts only the supported locales", () => {
    expect(isLocale("en")).toBe(true);
    expect(isLocale("de")).toBe(true);
    expect(isLocale("fr")).toBe(true);
    expect(isLocale("it")).toBe(false);
    expect(isLocale("de-DE")).toBe(false);
    expect(isLocale("fr-FR")).toBe(false);
    expect(isLocale("EN")).toBe(false);
    expect(isLocale(undefined)).toBe(false);
    expect(isLocale(42)).toBe(false);
  });
});

describe("parseAcceptLanguage", () => {
  it("orders by weight, keeping the client's order for equal weights", () => {
    expect(parseAcceptLanguage("fr;q=0.5, de-CH, en;q=0.9, it").map((r) => r.tag)).toEqual([
      "de-CH",
      "it",
      "en",
      "fr",
    ]);
  });

  it("ignores malformed entries", () => {
    expect(parseAcceptLanguage("de;q=abc, ;q=1, <script>, en;q=2, fr;q=0.123").map((r) => r.tag)).toEqual(["fr"]);
  });
});

describe("negotiateLocale", () => {
  const fallback = "en" as const;

  it("returns the fallback when nothing is given", () => {
    expect(negotiateLocale({ fallback })).toBe("en");
    expect(negotiateLocale({ fallback: "de" })).toBe("de");
    expect(negotiateLocale({ uiLocales: null, cookie: null, acceptLanguage: null, fallback })).toBe("en");
    expect(negotiateLocale({ uiLocales: "", cookie: "", acceptLanguage: "", fallback: "de" })).toBe("de");
  });

  describe("ui_locales", () => {
    it("wins over the cookie and Accept-Language", () => {
      expect(negotiateLocale({ uiLocales: "de", cookie: "en", acceptLanguage: "en", fallback })).toBe("de");
      expect(negotiateLocale({ uiLocales: "fr", cookie: "de", acceptLanguage: "de", fallback })).toBe("fr");
    });

    it("takes the first supported tag of a space-separated list", () => {
      expect(negotiateLocale({ uiLocales: "es-MX it de en", fallback })).toBe("de");
      expect(negotiateLocale({ uiLocales: "  ja\tde-AT  en ", fallback })).toBe("de");
      expect(negotiateLocale({ uiLocales: "it fr-CA de", fallback })).toBe("fr");
      expect(negotiateLocale({ uiLocales: "fr-CH", fallback: "de" })).toBe("fr");
      expect(negotiateLocale({ uiLocales: "en de", fallback: "de" })).toBe("en");
    });

    it("is skipped when it names no supported locale", () => {
      expect(negotiateLocale({ uiLocales: "it ja", cookie: "de", fallback })).toBe("de");
      expect(negotiateLocale({ uiLocales: "es ja", acceptLanguage: "fr", fallback })).toBe("fr");
      expect(negotiateLocale({ uiLocales: "it", fallback: "de" })).toBe("de");
    });
  });

  describe("cookie", () => {
    it("wins over Accept-Language", () => {
      expect(negotiateLocale({ cookie: "de", acceptLanguage: "en-US,en;q=0.9", fallback })).toBe("de");
      expect(negotiateLocale({ cookie: "en", acceptLanguage: "de-DE,de;q=0.9", fallback: "de" })).toBe("en");
      expect(negotiateLocale({ cookie: "fr", acceptLanguage: "de-DE,de;q=0.9", fallback })).toBe("fr");
      expect(negotiateLocale({ cookie: " FR ", fallback })).toBe("fr");
    });

    it("is ignored when the value is not a supported locale", () => {
      expect(negotiateLocale({ cookie: "it", acceptLanguage: "de", fallback })).toBe("de");
      // The cookie holds a locale the switcher wrote, never a regional tag.
      expect(negotiateLocale({ cookie: "fr-CH", acceptLanguage: "de", fallback })).toBe("de");
      expect(negotiateLocale({ cookie: "de-CH-garbage; x", fallback })).toBe("en");
      expect(negotiateLocale({ cookie: "../../etc/passwd", fallback })).toBe("en");
    });
  });

  describe("Accept-Language", () => {
    it("maps regional variants to their language", () => {
      expect(negotiateLocale({ acceptLanguage: "de-CH", fallback })).toBe("de");
      expect(negotiateLocale({ acceptLanguage: "en-GB,en;q=0.9", fallback: "de" })).toBe("en");
      expect(negotiateLocale({ acceptLanguage: "fr", fallback })).toBe("fr");
      expect(negotiateLocale({ acceptLanguage: "fr-CH, fr;q=0.9, de;q=0.8", fallback })).toBe("fr");
      expect(negotiateLocale({ acceptLanguage: "fr-CA,en-US;q=0.7", fallback: "de" })).toBe("fr");
    });

    it("honours q-values regardless of order", () => {
      expect(negotiateLocale({ acceptLanguage: "en;q=0.3, de;q=0.8", fallback })).toBe("de");
      expect(negotiateLocale({ acceptLanguage: "it-IT, it;q=0.9, en;q=0.5, de;q=0.7", fallback })).toBe("de");
      expect(negotiateLocale({ acceptLanguage: "en;q=0.5, de;q=0.7, fr-CA;q=0.8", fallback })).toBe("fr");
    });

    it("skips unsupported languages", () => {
      expect(negotiateLocale({ acceptLanguage: "it-IT,it;q=0.9,de;q=0.1", fallback })).toBe("de");
      expect(negotiateLocale({ acceptLanguage: "es-ES,ja", fallback: "de" })).toBe("de");
      expect(negotiateLocale({ acceptLanguage: "es-ES,es;q=0.9,fr;q=0.2,en;q=0.1", fallback: "de" })).toBe("fr");
    });

    it("treats q=0 as not acceptable", () => {
      expect(negotiateLocale({ acceptLanguage: "de;q=0, en;q=0.1", fallback: "de" })).toBe("en");
      expect(negotiateLocale({ acceptLanguage: "de;q=0", fallback: "en" })).toBe("en");
      expect(negotiateLocale({ acceptLanguage: "fr;q=0, fr-CA", fallback: "de" })).toBe("de");
    });

    it("resolves a wildcard to the fallback unless that is excluded", () => {
      expect(negotiateLocale({ acceptLanguage: "it, *;q=0.5, de;q=0.1", fallback })).toBe("en");
      expect(negotiateLocale({ acceptLanguage: "*", fallback: "de" })).toBe("de");
      expect(negotiateLocale({ acceptLanguage: "*", fallback: "fr" })).toBe("fr");
      expect(negotiateLocale({ acceptLanguage: "en;q=0, *", fallback })).toBe("de");
      expect(negotiateLocale({ acceptLanguage: "en;q=0, de;q=0, *", fallback })).toBe("fr");
    });

    it("survives hostile input", () => {
      expect(negotiateLocale({ acceptLanguage: ",,,;;;==", fallback })).toBe("en");
      expect(negotiateLocale({ acceptLanguage: "x,".repeat(100_000) + "de", fallback })).toBe("en");
    });
  });
});
