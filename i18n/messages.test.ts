import { describe, expect, it } from "vitest";
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { createTranslator } from "next-intl";
import { catalogs as merged } from "@/messages/catalogs";
import { locales } from "./locales";

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

/**
 * The ICU arguments of a message, with their type: "{what}" -> what: undefined,
 * "{count, plural, one {# day} other {# days}}" -> count: "plural" (the branch texts are
 * messages of their own, searched too; their keys and "#" are not arguments).
 */
function icuArguments(message: string): Map<string, string | undefined> {
  const found = new Map<string, string | undefined>();
  let i = 0;
  const text = (): void => {
    while (i < message.length && message[i] !== "}") {
      if (message[i] === "{") argument();
      else i++;
    }
  };
  const argument = (): void => {
    const m = /^\{\s*(\w+)\s*(?:,\s*(\w+)\s*,?)?/.exec(message.slice(i));
    if (!m) {
      i++;
      return;
    }
    found.set(m[1]!, m[2]);
    i += m[0].length;
    const branches = m[2] === "plural" || m[2] === "select" || m[2] === "selectordinal";
    while (i < message.length && message[i] !== "}") {
      if (branches && message[i] === "{") {
        i++;
        text();
      }
      i++;
    }
    i++;
  };
  while (i < message.length) {
    text();
    i++;
  }
  return found;
}

/** ICU arguments ("{what}", "{count, plural, ...}") and rich-text tags ("<code>") a message uses. */
function placeholders(message: string): string[] {
  const tags = [...message.matchAll(/<(\w+)>/g)].map((m) => `<${m[1]}>`);
  return [...new Set([...icuArguments(message).keys(), ...tags])].sort();
}

/** A value to format each argument of a message with, by its ICU type. */
function sampleValues(message: string): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, type] of icuArguments(message)) {
    if (type === "plural" || type === "selectordinal" || type === "number") values[name] = 3;
    else if (type === "date" || type === "time") values[name] = new Date(0);
    else if (type === "select") values[name] = "other";
    else values[name] = `«${name}»`;
  }
  for (const [, tag] of message.matchAll(/<(\w+)>/g)) values[tag!] = (chunks: unknown[]) => `[${chunks.join("")}]`;
  return values;
}

const catalogs = Object.fromEntries(locales.map((l) => [l, flatten(merged[l] as unknown as Tree)])) as Record<(typeof locales)[number], Map<string, string>>;
const messagesDir = path.join(process.cwd(), "messages");
/** The areas of the interface: each a folder messages/<area>/ with one file per locale. */
const areas = readdirSync(messagesDir).filter((name) => statSync(path.join(messagesDir, name)).isDirectory());

/**
 * Areas whose typography is not checked yet because their texts are still being written. Every
 * other area, and every area added later, is checked; to switch one on, delete its line.
 */
const typographyPending = new Set<string>([]);

/** The catalogue files of a locale whose typography is checked: the core file and the finished areas, flattened. */
function typographyChecked(locale: (typeof locales)[number]): { file: string; messages: Map<string, string> }[] {
  const files = [`${locale}.json`, ...areas.filter((area) => !typographyPending.has(area)).map((area) => `${area}/${locale}.json`)];
  return files.map((file) => ({ file, messages: flatten(JSON.parse(readFileSync(path.join(messagesDir, file), "utf8")) as Tree) }));
}

/**
 * Names that reach a French sentence at run time: the product name (a tenant's name replaces
 * "Authly", lib/tenancy/branding.ts) and the arguments {product} and {client}. Their first letter
 * is unknown, so French must not elide before them ("d’Authly" would become "d’Contoso") nor use
 * a word that must elide before a vowel ("de Authly", "que {product}"): phrase around them
 * ("du service {product}", "de l’application {client}", "compte {product}").
 */
const RUNTIME_NAME = String.raw`(?:Authly|\{\s*(?:product|client)\b)`;
const ELIDED_BEFORE_NAME = new RegExp(String.raw`\p{L}['’]\s*${RUNTIME_NAME}`, "u");
const UNELIDED_BEFORE_NAME = new RegExp(String.raw`(?<!\p{L})(?:de|que|le|la|ce|ne|se|me|te|je|si|jusque|lorsque|puisque|quoique|presque)\s+${RUNTIME_NAME}`, "iu");

describe("message catalogs", () => {
  it("(the checks below read the arguments inside plural and select messages, not their branch texts)", () => {
    expect(placeholders("Copy {what}")).toEqual(["what"]);
    expect(placeholders("Try again in {seconds, plural, one {# second} other {# seconds}}.")).toEqual(["seconds"]);
    expect(placeholders("{count, plural, =0 {No {what}} other {# {what} for <b>{name}</b>}}")).toEqual(["<b>", "count", "name", "what"]);
    expect(placeholders("{gender, select, female {elle} other {il}} a {age, number} ans")).toEqual(["age", "gender"]);
    expect(sampleValues("{n, plural, other {#}} {d, date, medium} {g, select, other {x}} {s}")).toEqual({ n: 3, d: new Date(0), g: "other", s: "«s»" });
  });

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
    for (const locale of locales) {
      for (const [key, message] of catalogs.en) {
        expect(placeholders(catalogs[locale].get(key) ?? ""), `${locale}: ${key}`).toEqual(placeholders(message));
      }
    }
  });

  it("format in every locale with every argument in place (no ICU syntax error, no argument lost to an apostrophe)", () => {
    for (const locale of locales) {
      const t = createTranslator({
        locale,
        messages: merged[locale],
        onError: (error) => {
          throw error;
        },
      }) as unknown as { rich: (key: string, values: Record<string, unknown>) => unknown };
      for (const [key, message] of catalogs[locale]) {
        const out = t.rich(key, sampleValues(message));
        const text = (Array.isArray(out) ? out : [out]).join("");
        for (const [name, type] of icuArguments(message)) if (type === undefined) expect(text, `${locale}: ${key}`).toContain(`«${name}»`);
        expect(text, `${locale}: ${key}`).not.toMatch(/[{}]/);
      }
    }
  });

  it("(the typography checks below know the areas they skip)", () => {
    for (const area of typographyPending) expect(areas, `typographyPending lists "${area}", which is no folder in messages/`).toContain(area);
    const checked = typographyChecked("fr").map((f) => f.file);
    expect(checked).toEqual(expect.arrayContaining(["fr.json", "login/fr.json", "registration/fr.json", "pages/fr.json"]));
    for (const area of typographyPending) expect(checked).not.toContain(`${area}/fr.json`);
    expect(ELIDED_BEFORE_NAME.test("l’Authly")).toBe(true);
    expect(ELIDED_BEFORE_NAME.test("d’{product}")).toBe(true);
    expect(UNELIDED_BEFORE_NAME.test("Logo de {client}")).toBe(true);
    expect(UNELIDED_BEFORE_NAME.test("La connexion à Authly")).toBe(false);
    expect(UNELIDED_BEFORE_NAME.test("compte {product}")).toBe(false);
    expect(UNELIDED_BEFORE_NAME.test("côte {client}")).toBe(false);
  });

  it("follow French typography: no-break spaces before “: ; ? !” and inside « », typographic apostrophes", () => {
    // A plain space there lets the line break before the sign. House style: U+00A0 before ":" and
    // inside guillemets, U+202F (narrow no-break space) before ";", "?" and "!". A straight
    // apostrophe is also ICU's quote character and can swallow an argument.
    for (const { file, messages } of typographyChecked("fr")) {
      for (const [key, message] of messages) {
        const where = `${file}: ${key}: ${JSON.stringify(message)}`;
        expect(message, where).not.toMatch(/(?<!\u00a0):(?!\/\/)/u);
        expect(message, where).not.toMatch(/(?<!\u202f)[;?!]/u);
        expect(message, where).not.toMatch(/«(?!\u00a0)|(?<!\u00a0)»/u);
        expect(message, where).not.toMatch(/\p{L}'/u);
        expect(message, where).not.toMatch(/\.\.\./);
      }
    }
  });

  it("in French, neither elide nor need an elision before the product name, {product} or {client}", () => {
    for (const { file, messages } of typographyChecked("fr")) {
      for (const [key, message] of messages) {
        const where = `${file}: ${key}: ${JSON.stringify(message)}`;
        expect(message, where).not.toMatch(ELIDED_BEFORE_NAME);
        expect(message, where).not.toMatch(UNELIDED_BEFORE_NAME);
      }
    }
  });

  it("follow German typography: „…“ quotes and the ellipsis character, not straight quotes or three dots", () => {
    for (const { file, messages } of typographyChecked("de")) {
      for (const [key, message] of messages) {
        const where = `${file}: ${key}: ${JSON.stringify(message)}`;
        expect(message, where).not.toMatch(/"|\.\.\./);
      }
    }
  });

  it("are translated: most messages differ from the English ones", () => {
    for (const locale of locales.filter((l) => l !== "en")) {
      const same = [...catalogs.en].filter(([key, message]) => catalogs[locale].get(key) === message && /[a-z]{4,}/i.test(message));
      // Product names, "OK" and the like may stay; whole untranslated sections may not.
      expect(same.length / catalogs.en.size, `${locale}: ${same.map(([k]) => k).slice(0, 20).join(", ")}`).toBeLessThan(0.05);
    }
  });

  it("define each namespace in one file only (the areas are merged)", () => {
    for (const locale of locales) {
      const files = [path.join(messagesDir, `${locale}.json`), ...areas.map((area) => path.join(messagesDir, area, `${locale}.json`))];
      const seen = new Map<string, string>();
      for (const file of files) {
        for (const namespace of Object.keys(JSON.parse(readFileSync(file, "utf8")) as object)) {
          expect(seen.get(namespace), `${namespace} in ${file}`).toBeUndefined();
          seen.set(namespace, file);
        }
      }
    }
  });
});
