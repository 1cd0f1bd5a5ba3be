/**
 * The profile form of the account page: the OpenID Connect standard claims a user may edit
 * (OIDC Core §5.1, §5.1.1 address), their limits, and the zod schema that checks a submitted form.
 *
 * Form fields are named after the claims (address parts as `address_<member>`). A field that is
 * absent from the submission stays as it is; an empty one clears the claim (OIDC Core §5.3.2: a
 * claim without a value is omitted, never released as ""). Email is not editable here.
 */
import { z } from "zod";
import type { User } from "../generated/prisma/client";
import { isWebUrl } from "../http/web-url";

/** Editable claims: form field name -> User column, maximum length, kind of value. */
export const profileFields = {
  name: { column: "name", max: 200, kind: "text" },
  given_name: { column: "givenName", max: 100, kind: "text" },
  family_name: { column: "familyName", max: 100, kind: "text" },
  middle_name: { column: "middleName", max: 100, kind: "text" },
  nickname: { column: "nickname", max: 100, kind: "text" },
  preferred_username: { column: "preferredUsername", max: 100, kind: "text" },
  profile: { column: "profile", max: 2048, kind: "url" },
  picture: { column: "picture", max: 2048, kind: "url" },
  website: { column: "website", max: 2048, kind: "url" },
  gender: { column: "gender", max: 50, kind: "gender" },
  birthdate: { column: "birthdate", max: 10, kind: "birthdate" },
  zoneinfo: { column: "zoneinfo", max: 64, kind: "zoneinfo" },
  locale: { column: "locale", max: 35, kind: "locale" },
  phone_number: { column: "phoneNumber", max: 32, kind: "phone" },
  address_formatted: { column: "addressFormatted", max: 500, kind: "multiline" },
  address_street_address: { column: "addressStreetAddress", max: 200, kind: "multiline" },
  address_locality: { column: "addressLocality", max: 100, kind: "text" },
  address_region: { column: "addressRegion", max: 100, kind: "text" },
  address_postal_code: { column: "addressPostalCode", max: 20, kind: "text" },
  address_country: { column: "addressCountry", max: 100, kind: "text" },
} as const satisfies Record<string, { column: keyof User; max: number; kind: string }>;

export type ProfileField = keyof typeof profileFields;
export const profileFieldNames = Object.keys(profileFields) as ProfileField[];
type ProfileColumn = (typeof profileFields)[ProfileField]["column"];

/** The gender form control: OIDC Core §5.1 defines "female" and "male"; other values are allowed. */
export const GENDER_CUSTOM_FIELD = "gender_custom";
export const genderChoices = ["", "female", "male", "other"] as const;
export type GenderChoice = (typeof genderChoices)[number];

/** Why a field was refused; the page turns each code into a sentence in the reader's language. */
export type ProfileErrorCode =
  | "invalid"
  | "too_long"
  | "control_characters"
  | "url"
  | "birthdate"
  | "zoneinfo"
  | "locale"
  | "phone"
  | "gender_describe";

export type ProfileErrors = Partial<Record<ProfileField | typeof GENDER_CUSTOM_FIELD, ProfileErrorCode>>;

/** The columns to write: only the fields that were submitted; null clears a claim. */
export type ProfileChanges = Partial<Record<ProfileColumn, string | null>>;

// Single-line fields: no control characters at all. Multi-line ones (OIDC Core §5.1.1: formatted
// and street_address "MAY contain multiple lines, separated by newlines") keep line feeds.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_EXCEPT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

/**
 * OIDC Core §5.1 birthdate: ISO 8601 `YYYY-MM-DD`, or `YYYY` alone; the year may be 0000 when it
 * is omitted. The date must exist and not lie in the future.
 */
export function isBirthdate(value: string, today: Date): boolean {
  const thisYear = today.getUTCFullYear();
  const yearOnly = /^(\d{4})$/.exec(value);
  if (yearOnly) {
    const year = Number(yearOnly[1]);
    return year >= 1850 && year <= thisYear;
  }
  const full = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!full) return false;
  const [year, month, day] = [Number(full[1]), Number(full[2]), Number(full[3])];
  if (year !== 0 && (year < 1850 || year > thisYear)) return false;
  // Year 0000 stands for "not given": check the day in a leap year so 02-29 is accepted.
  const probe = new Date(Date.UTC(year === 0 ? 2000 : year, month - 1, day));
  if (probe.getUTCFullYear() !== (year === 0 ? 2000 : year) || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) return false;
  return year === 0 || probe.getTime() <= today.getTime();
}

/** IANA time zone names this runtime knows (OIDC Core §5.1 zoneinfo), plus "UTC". */
export function timeZoneNames(): string[] {
  const names = Intl.supportedValuesOf("timeZone");
  return names.includes("UTC") ? names : ["UTC", ...names];
}

export function isTimeZone(value: string): boolean {
  return timeZoneNames().includes(value);
}

/**
 * OIDC Core §5.1 locale: a BCP 47 language tag (RFC 5646), e.g. "en-US" or "fr-CA". Returns its
 * canonical form, or null. Some systems write "en_US": the underscore is accepted and replaced.
 */
export function canonicalLocale(value: string): string | null {
  try {
    const [canonical] = Intl.getCanonicalLocales(value.replaceAll("_", "-"));
    // The primary language subtag: ISO 639 (2-3 letters); the 4-8 letter forms are not in use.
    return canonical && /^[a-z]{2,3}(-|$)/i.test(canonical) ? canonical : null;
  } catch {
    return null;
  }
}

/**
 * OIDC Core §5.1 phone_number: E.164 ("+" and up to 15 digits, no leading zero in the country
 * code). Spaces, dots, dashes and parentheses people type are removed first.
 */
export function normalizePhoneNumber(value: string): string | null {
  const compact = value.replace(/[\s.\-()/]/g, "");
  return /^\+[1-9]\d{5,14}$/.test(compact) ? compact : null;
}

/** The check of one kind of value: the value to store, or the reason it is refused. */
function checkValue(kind: (typeof profileFields)[ProfileField]["kind"], value: string, today: Date): { value: string } | { error: ProfileErrorCode } {
  switch (kind) {
    case "url":
      return isWebUrl(value) ? { value } : { error: "url" };
    case "birthdate":
      return isBirthdate(value, today) ? { value } : { error: "birthdate" };
    case "zoneinfo":
      return isTimeZone(value) ? { value } : { error: "zoneinfo" };
    case "locale": {
      const canonical = canonicalLocale(value);
      return canonical ? { value: canonical } : { error: "locale" };
    }
    case "phone": {
      const phone = normalizePhoneNumber(value);
      return phone ? { value: phone } : { error: "phone" };
    }
    case "gender":
      // The select sends "", "female", "male" or "other" ("other" is resolved by the form schema).
      return (genderChoices as readonly string[]).includes(value) ? { value } : { error: "invalid" };
    default:
      return { value };
  }
}

/**
 * One submitted field: absent (unchanged), "" (cleared: null) or a checked, normalized value.
 * The issue message is the error code.
 */
function claimSchema(spec: (typeof profileFields)[ProfileField] | { max: number; kind: "text" }, today: Date) {
  const control = spec.kind === "multiline" ? CONTROL_EXCEPT_NEWLINE : CONTROL;
  return z
    .string({ error: "invalid" })
    .transform((raw, ctx): string | null => {
      const value = raw.replace(/\r\n?/g, "\n").trim();
      if (value === "") return null;
      let problem: ProfileErrorCode | undefined;
      if (value.length > spec.max) problem = "too_long";
      else if (control.test(value)) problem = "control_characters";
      else {
        const checked = checkValue(spec.kind, value, today);
        if ("error" in checked) problem = checked.error;
        else return checked.value;
      }
      ctx.addIssue({ code: "custom", message: problem });
      return z.NEVER;
    })
    .optional();
}

/** The profile form's zod schema; `today` is the clock's date (a birthdate cannot lie ahead). */
export function profileFormSchema(today: Date) {
  const shape = Object.fromEntries(profileFieldNames.map((field) => [field, claimSchema(profileFields[field], today)])) as {
    [F in ProfileField]: ReturnType<typeof claimSchema>;
  };
  return z
    .object({ ...shape, [GENDER_CUSTOM_FIELD]: claimSchema({ max: profileFields.gender.max, kind: "text" }, today) })
    .transform((form, ctx): ProfileChanges => {
      const changes: ProfileChanges = {};
      for (const field of profileFieldNames) {
        const value = form[field];
        if (value !== undefined) changes[profileFields[field].column] = value;
      }
      if (form.gender === "other") {
        // "Another description": the free text is the claim value (OIDC Core §5.1 allows other values).
        const custom = form[GENDER_CUSTOM_FIELD];
        if (!custom) {
          ctx.addIssue({ code: "custom", path: [GENDER_CUSTOM_FIELD], message: "gender_describe" satisfies ProfileErrorCode });
          return z.NEVER;
        }
        changes.gender = custom;
      }
      return changes;
    });
}

/**
 * Checks a submitted profile form (field name -> value) and returns the columns to write, or one
 * error code per refused field.
 */
export function parseProfileForm(input: Record<string, unknown>, today: Date): { ok: true; changes: ProfileChanges } | { ok: false; errors: ProfileErrors } {
  const parsed = profileFormSchema(today).safeParse(input);
  if (parsed.success) return { ok: true, changes: parsed.data };
  const errors: ProfileErrors = {};
  const codes = new Set<string>(["invalid", "too_long", "control_characters", "url", "birthdate", "zoneinfo", "locale", "phone", "gender_describe"]);
  for (const issue of parsed.error.issues) {
    const field = issue.path[0];
    if (typeof field !== "string" || !(field in profileFields || field === GENDER_CUSTOM_FIELD)) continue;
    // The first problem of a field is the one shown.
    errors[field as keyof ProfileErrors] ??= (codes.has(issue.message) ? issue.message : "invalid") as ProfileErrorCode;
  }
  if (Object.keys(errors).length === 0) errors.name = "invalid";
  return { ok: false, errors };
}

/** The select value and free description that show a stored gender in the form. */
export function genderFormValues(gender: string | null): { choice: GenderChoice; custom: string } {
  if (!gender) return { choice: "", custom: "" };
  if (gender === "female" || gender === "male") return { choice: gender, custom: "" };
  return { choice: "other", custom: gender };
}

/** The claim name of a column (for the audit trail: which fields changed, never their values). */
export function claimOfColumn(column: ProfileColumn): string {
  const field = profileFieldNames.find((f) => profileFields[f].column === column)!;
  return field.startsWith("address_") ? `address.${field.slice("address_".length)}` : field;
}
