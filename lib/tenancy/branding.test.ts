import { createTranslator } from "next-intl";
import { describe, expect, it } from "vitest";
import { catalogs } from "../../messages/catalogs";
import { accentStyle, brandMessages } from "./branding";

describe("branding", () => {
  it("replaces the product name in every text, without touching the catalogue", () => {
    const branded = brandMessages(catalogs.en, "Acme ID");
    expect(branded.Metadata.siteName).toBe("Acme ID");
    expect(JSON.stringify(branded)).not.toContain("Authly");
    expect(catalogs.en.Metadata.siteName).toBe("Authly");
    expect(brandMessages(catalogs.en, null)).toBe(catalogs.en);
  });

  it("keeps ICU syntax in a product name literal", () => {
    const branded = brandMessages(catalogs.de, "Acme {ID} <b>'s");
    const t = createTranslator({ locale: "de", messages: branded, namespace: "Consent" });
    expect(t("lead", { client: "Shop" })).toContain("Acme {ID} <b>'s");
  });

  it("turns an accent colour into CSS properties with a readable text colour (WCAG 2.1 §1.4.3)", () => {
    expect(accentStyle("#1D4ED8")).toEqual({ "--brand": "#1d4ed8", "--brand-fg": "#ffffff" });
    expect(accentStyle("#fde047")).toEqual({ "--brand": "#fde047", "--brand-fg": "#0b0d12" });
    expect(accentStyle(null)).toBeNull();
    expect(accentStyle("red; background: url(x)")).toBeNull();
  });
});
