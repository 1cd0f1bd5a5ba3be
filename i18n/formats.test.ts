import { beforeEach, describe, expect, it, vi } from "vitest";
import { createFormatter } from "next-intl";
import { ManualClock } from "@/lib/server/clock";
import { formats, timeZone } from "./formats";
import { locales, type Locale } from "./locales";

/**
 * Dates and numbers go through next-intl's formatter with the request configuration of
 * i18n/request.ts, as `getFormatter()` does in a server component. The Next-only pieces it reads
 * (request headers, cookies, the process container) are replaced by a request we describe here.
 */
const request = vi.hoisted(() => ({ headers: new Headers(), cookies: new Map<string, string>(), clock: undefined as unknown }));

vi.mock("next/headers", () => ({
  headers: async () => request.headers,
  cookies: async () => ({ get: (name: string) => (request.cookies.has(name) ? { name, value: request.cookies.get(name) } : undefined) }),
}));
vi.mock("next-intl/server", () => ({ getRequestConfig: <T>(create: T) => create }));
vi.mock("@/lib/server/instance", () => ({
  getContainer: async () => ({ config: { defaultLocale: "en" }, clock: request.clock, tenantSettings: { get: async () => ({ productName: null }) } }),
}));

const clock = new ManualClock(Date.UTC(2026, 0, 5, 14, 30));

async function requestConfig(init: { acceptLanguage?: string; cookie?: string; locale?: Locale } = {}) {
  request.headers = new Headers(init.acceptLanguage ? { "accept-language": init.acceptLanguage } : {});
  request.cookies = new Map(init.cookie ? [["authly_locale", init.cookie]] : []);
  request.clock = clock;
  const { default: getConfig } = await import("@/i18n/request");
  return getConfig({ locale: init.locale, requestLocale: Promise.resolve(undefined) });
}

/** What getFormatter() builds from the request configuration; errors fail the test instead of being logged. */
async function formatterFor(init: Parameters<typeof requestConfig>[0]) {
  const config = await requestConfig(init);
  return {
    locale: config.locale,
    format: createFormatter({
      locale: config.locale,
      formats: config.formats ?? undefined,
      timeZone: config.timeZone,
      now: config.now,
      onError: (error) => {
        throw error;
      },
    }),
  };
}

/** Intl separates some parts with no-break or narrow no-break spaces (and ICU versions differ): compare words. */
const plain = (s: string) => s.replace(/\s/g, " ");

const moment = new Date(Date.UTC(2026, 0, 5, 14, 30));

describe("i18n/request.ts formatting configuration", () => {
  beforeEach(() => vi.resetModules());

  it("gives next-intl the named formats, the UTC time zone and now from the container's clock", async () => {
    const config = await requestConfig({ acceptLanguage: "fr-CH" });
    expect(config.locale).toBe("fr");
    expect(config.timeZone).toBe("UTC");
    expect(timeZone).toBe("UTC");
    expect(config.formats).toEqual(formats);
    expect(config.now).toEqual(clock.now());
  });

  it("renders the same date differently in en, de and fr", async () => {
    const out: Record<string, string[]> = {};
    for (const [acceptLanguage, expected] of [
      ["en-US", ["Jan 5, 2026", "January 5, 2026", "Jan 5, 2026, 2:30 PM UTC"]],
      ["de-DE", ["5. Jan. 2026", "5. Januar 2026", "5. Jan. 2026, 14:30 UTC"]],
      ["fr-FR", ["5 janv. 2026", "5 janvier 2026", "5 janv. 2026, 14:30 UTC"]],
    ] as const) {
      const { locale, format } = await formatterFor({ acceptLanguage });
      out[locale] = [format.dateTime(moment, "date"), format.dateTime(moment, "dateLong"), format.dateTime(moment, "dateTime")].map(plain);
      expect(out[locale], locale).toEqual(expected);
    }
    expect(Object.keys(out).sort()).toEqual([...locales].sort());
  });

  it("renders the same numbers differently in en, de and fr", async () => {
    const expected: Record<Locale, [string, string]> = { en: ["12,345", "42.5%"], de: ["12.345", "42,5 %"], fr: ["12 345", "42,5 %"] };
    for (const locale of locales) {
      // The cookie is the user's explicit choice (the language switcher).
      const { format } = await formatterFor({ cookie: locale, acceptLanguage: "en" });
      expect([format.number(12_345.4, "integer"), format.number(0.425, "percent")].map(plain), locale).toEqual(expected[locale]);
    }
  });

  it("uses the locale a page asks for (getFormatter({ locale })) over the request's own", async () => {
    const { locale, format } = await formatterFor({ locale: "fr", cookie: "de", acceptLanguage: "en" });
    expect(locale).toBe("fr");
    expect(plain(format.dateTime(moment, "dateLong"))).toBe("5 janvier 2026");
  });

  it("measures relative times from the container's clock", async () => {
    const { format } = await formatterFor({ acceptLanguage: "fr" });
    expect(format.relativeTime(new Date(clock.nowMs() - 3 * 24 * 3600 * 1000))).toBe("il y a 3 jours");
    const de = await formatterFor({ acceptLanguage: "de" });
    expect(de.format.relativeTime(new Date(clock.nowMs() - 3 * 24 * 3600 * 1000))).toBe("vor 3 Tagen");
  });

  it("keeps the day of a late-evening UTC moment whatever the server's own time zone", async () => {
    const { format } = await formatterFor({ acceptLanguage: "de" });
    expect(plain(format.dateTime(new Date(Date.UTC(2026, 0, 5, 23, 30)), "dateTime"))).toBe("5. Jan. 2026, 23:30 UTC");
  });
});
