/**
 * A short, human description of the device behind a session, from its User-Agent header: the
 * browser and the operating system ("Chrome" + "Linux"), and the kind of device for an icon.
 *
 * Deliberately small: the account page only needs something a person recognises ("Firefox on
 * Windows"), not versions or exact models. User-Agent strings are free text sent by the client
 * (RFC 9110 §10.1.5), so nothing here is trusted or shown except the fixed names below.
 * Browsers freeze or reduce their strings (User-Agent reduction), and many borrow each other's
 * tokens, so the order of the checks matters: the more specific token first.
 */

export type DeviceKind = "desktop" | "mobile" | "tablet" | "unknown";

export interface DeviceDescription {
  /** A browser or client name ("Chrome", "Safari", "curl"), or null when not recognised. */
  browser: string | null;
  /** An operating system name ("Windows", "macOS", "Android"), or null when not recognised. */
  os: string | null;
  kind: DeviceKind;
}

/** Longest string looked at (the session row keeps 512 characters). */
const MAX_LENGTH = 512;

/** [name, pattern], most specific first (Edge, Opera, Samsung... all contain "Chrome" and "Safari"). */
const browsers: readonly (readonly [string, RegExp])[] = [
  ["Edge", /\bEdg(?:e|A|iOS)?\//],
  ["Opera", /\bOPR\/|\bOPiOS\/|\bOpera\b/],
  ["Samsung Internet", /\bSamsungBrowser\//],
  ["Vivaldi", /\bVivaldi\//],
  ["Yandex Browser", /\bYaBrowser\//],
  ["Firefox", /\bFirefox\/|\bFxiOS\//],
  ["Chrome", /\bCriOS\//],
  ["Chromium", /\bChromium\//],
  ["Chrome", /\b(?:Headless)?Chrome\//],
  ["Internet Explorer", /\bMSIE |\bTrident\//],
  ["Safari", /\bSafari\//],
  // Command-line and library clients, so a session started from a script is recognisable.
  ["curl", /^curl\//],
  ["Wget", /^Wget\//],
];

const systems: readonly (readonly [string, RegExp])[] = [
  ["iPadOS", /\biPad\b/],
  ["iOS", /\biPhone\b|\biPod\b/],
  ["Android", /\bAndroid\b/],
  ["ChromeOS", /\bCrOS\b/],
  ["Windows", /\bWindows\b/],
  ["macOS", /\bMac OS X\b|\bMacintosh\b/],
  ["Linux", /\bLinux\b|\bX11\b/],
  ["FreeBSD", /\bFreeBSD\b/],
  ["OpenBSD", /\bOpenBSD\b/],
];

function firstMatch(list: readonly (readonly [string, RegExp])[], value: string): string | null {
  for (const [name, pattern] of list) if (pattern.test(value)) return name;
  return null;
}

function kindOf(value: string, os: string | null): DeviceKind {
  if (os === "iPadOS" || /\bTablet\b/i.test(value) || (os === "Android" && !/\bMobile\b/.test(value))) return "tablet";
  if (os === "iOS" || os === "Android" || /\bMobi/.test(value)) return "mobile";
  if (os === "Windows" || os === "macOS" || os === "Linux" || os === "ChromeOS" || os === "FreeBSD" || os === "OpenBSD") return "desktop";
  return "unknown";
}

/** Describes a User-Agent header value; null, empty or unrecognised input gives nulls. */
export function describeUserAgent(userAgent: string | null | undefined): DeviceDescription {
  const value = (userAgent ?? "").slice(0, MAX_LENGTH).trim();
  if (value === "") return { browser: null, os: null, kind: "unknown" };
  const browser = firstMatch(browsers, value);
  const os = firstMatch(systems, value);
  return { browser, os, kind: kindOf(value, os) };
}
