import { describe, expect, it } from "vitest";
import { isWebUrl } from "../http/web-url";
import { canonicalLocale, genderFormValues, isBirthdate, normalizePhoneNumber, parseProfileForm } from "./profile";

const today = new Date(Date.UTC(2026, 10, 29, 12));

describe("profile form values", () => {
  it("birthdate: YYYY-MM-DD, YYYY, or 0000-MM-DD; real dates, not in the future (OIDC Core §5.1)", () => {
    for (const ok of ["1990-04-01", "2000-02-29", "1990", "0000-02-29", "0000-12-31", "2026-11-29", "1850-01-01"]) expect(isBirthdate(ok, today), ok).toBe(true);
    for (const bad of ["1990-02-30", "2001-02-29", "1990-13-01", "1990-00-10", "1990-1-1", "90-01-01", "2026-11-30", "2027", "0000", "1849-12-31", "01.04.1990", "1990-04-01T00:00:00Z", ""]) {
      expect(isBirthdate(bad, today), bad).toBe(false);
    }
  });

  it("URLs must be absolute http(s) without credentials", () => {
    for (const ok of ["https://example.com", "http://example.com/me?x=1", "https://xn--bcher-kva.example/"]) expect(isWebUrl(ok), ok).toBe(true);
    for (const bad of ["javascript:alert(1)", "ftp://example.com", "example.com", "//example.com", "https://user:pw@example.com", "data:text/html,hi", "mailto:a@b.c"]) {
      expect(isWebUrl(bad), bad).toBe(false);
    }
  });

  it("locale: a BCP 47 tag, canonicalized; underscores accepted", () => {
    expect(canonicalLocale("en-us")).toBe("en-US");
    expect(canonicalLocale("fr_CA")).toBe("fr-CA");
    expect(canonicalLocale("de")).toBe("de");
    expect(canonicalLocale("zh-hant-tw")).toBe("zh-Hant-TW");
    for (const bad of ["english", "x", "en--US", "12", "en US"]) expect(canonicalLocale(bad), bad).toBeNull();
  });

  it("phone_number: E.164 after removing the usual separators", () => {
    expect(normalizePhoneNumber("+49 30 1234-5678")).toBe("+493012345678");
    expect(normalizePhoneNumber("+1 (604) 555.1234")).toBe("+16045551234");
    for (const bad of ["030 1234567", "+0 123456789", "+12", "+1234567890123456", "+49 30 ABC", "0049301234567"]) expect(normalizePhoneNumber(bad), bad).toBeNull();
  });

  it("absent fields stay unchanged, empty ones clear, others are normalized", () => {
    const parsed = parseProfileForm({ name: "  Alice Example ", nickname: "", locale: "en-gb", phone_number: "+44 20 7946 0958", address_street_address: "1 Main St\r\nFlat 2" }, today);
    expect(parsed).toEqual({
      ok: true,
      changes: { name: "Alice Example", nickname: null, locale: "en-GB", phoneNumber: "+442079460958", addressStreetAddress: "1 Main St\nFlat 2" },
    });
  });

  it("reports one code per refused field", () => {
    const parsed = parseProfileForm(
      { name: "x".repeat(201), website: "ftp://example.com", birthdate: "1990-02-30", zoneinfo: "Mars/Olympus", locale: "english", phone_number: "12345", nickname: "a\u0000b", given_name: 5 },
      today,
    );
    expect(parsed).toEqual({
      ok: false,
      errors: { name: "too_long", website: "url", birthdate: "birthdate", zoneinfo: "zoneinfo", locale: "locale", phone_number: "phone", nickname: "control_characters", given_name: "invalid" },
    });
    // Single-line fields refuse line breaks; the multi-line address parts keep them.
    expect(parseProfileForm({ address_locality: "Berlin\nMitte" }, today)).toEqual({ ok: false, errors: { address_locality: "control_characters" } });
  });

  it("gender: female, male, none, or another description", () => {
    expect(parseProfileForm({ gender: "female", gender_custom: "ignored" }, today)).toEqual({ ok: true, changes: { gender: "female" } });
    expect(parseProfileForm({ gender: "" }, today)).toEqual({ ok: true, changes: { gender: null } });
    expect(parseProfileForm({ gender: "other", gender_custom: " non-binary " }, today)).toEqual({ ok: true, changes: { gender: "non-binary" } });
    expect(parseProfileForm({ gender: "other", gender_custom: " " }, today)).toEqual({ ok: false, errors: { gender_custom: "gender_describe" } });
    expect(parseProfileForm({ gender: "robot" }, today)).toEqual({ ok: false, errors: { gender: "invalid" } });
    expect(genderFormValues("male")).toEqual({ choice: "male", custom: "" });
    expect(genderFormValues("agender")).toEqual({ choice: "other", custom: "agender" });
    expect(genderFormValues(null)).toEqual({ choice: "", custom: "" });
  });

  it("zoneinfo: IANA names this runtime knows, and UTC", () => {
    expect(parseProfileForm({ zoneinfo: "Europe/Berlin" }, today)).toEqual({ ok: true, changes: { zoneinfo: "Europe/Berlin" } });
    expect(parseProfileForm({ zoneinfo: "UTC" }, today)).toEqual({ ok: true, changes: { zoneinfo: "UTC" } });
    expect(parseProfileForm({ zoneinfo: "europe/berlin" }, today)).toEqual({ ok: false, errors: { zoneinfo: "zoneinfo" } });
  });
});
