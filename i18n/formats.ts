/**
 * How Authly's pages show dates and numbers, in every locale: the named formats and the time zone
 * that i18n/request.ts gives next-intl. Pages use them through the formatter, never by hand:
 *
 *   const format = await getFormatter();          // server components (next-intl/server)
 *   const format = useFormatter();                 // client components
 *   format.dateTime(session.createdAt, "dateTime"); // "Jan 5, 2026, 2:30 PM UTC" / "5. Jan. 2026, 14:30 UTC" / "5 janv. 2026, 14:30 UTC"
 *   format.number(count, "integer");               // "12,345" / "12.345" / "12 345"
 *
 * A page whose card follows an interaction's ui_locales (login, consent) passes that locale:
 * `getFormatter({ locale })`. Pure data, so the unit tests format through the very same options.
 */
import type { Formats } from "next-intl";

/**
 * The time zone dates are shown in. Authly does not know the reader's zone on the server (the
 * OIDC `zoneinfo` claim is optional and rarely set), so it shows UTC and says so: every format
 * with a time of day names the zone. Setting it also keeps server and client renders identical
 * (next-intl's ENVIRONMENT_FALLBACK warning).
 */
export const timeZone = "UTC";

export const formats = {
  dateTime: {
    /** A calendar day: "Jan 5, 2026", "5. Jan. 2026", "5 janv. 2026". */
    date: { year: "numeric", month: "short", day: "numeric" },
    /** A calendar day, month spelled out: "January 5, 2026", "5. Januar 2026", "5 janvier 2026". */
    dateLong: { year: "numeric", month: "long", day: "numeric" },
    /** A moment: day, time and zone: "Jan 5, 2026, 2:30 PM UTC", "5. Jan. 2026, 14:30 UTC". */
    dateTime: { year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZoneName: "short" },
  },
  number: {
    /** A count: "12,345", "12.345", "12 345". */
    integer: { maximumFractionDigits: 0 },
    /** A share: "42.5%", "42,5 %", "42,5 %". */
    percent: { style: "percent", maximumFractionDigits: 1 },
  },
} satisfies Formats;
