import { describe, expect, it } from "vitest";
import de from "@/messages/de.json";
import en from "@/messages/en.json";
import { locales } from "./negotiate-locale";

type Tree = { [key: string]: string | Tree };

/** Flattens a message tree into "Namespace.key" -> message. */
function flatten(tree: Tree, prefix = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === "string") out.set(path, value);
    else for (const [k, v] of flatten(value, path)) out.set(k, v);
  }
  return out;
}

/** ICU arguments ("{what}") and rich-text tags ("<code>") a message uses. */
function placeholders(message: string): string[] {
  return [...message.matchAll(/\{(\w+)\}|<(\w+)>/g)].map((m) => m[1] ?? `<${m[2]}>`).sort();
}

const catalogs: Record<(typeof locales)[number], Map<string, string>> = { en: flatten(en), de: flatten(de) };

describe("message catalogs", () => {
  it("exist for every supported locale", () => {
    expect(Object.keys(catalogs).sort()).toEqual([...locales].sort());
  });

  it("have the same keys in every locale", () => {
    const reference = [...catalogs.en.keys()].sort();
    for (const locale of locales) expect([...catalogs[locale].keys()].sort(), locale).toEqual(reference);
  });

  it("have no empty messages", () => {
    for (const locale of locales) {
      for (const [key, message] of catalogs[locale]) expect(message.trim(), `${locale}: ${key}`).not.toBe("");
    }
  });

  it("use the same arguments and tags in every locale", () => {
    for (const [key, message] of catalogs.en) {
      expect(placeholders(catalogs.de.get(key) ?? ""), key).toEqual(placeholders(message));
    }
  });
});
