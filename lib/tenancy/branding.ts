/**
 * The tenant's branding applied to what people see: the product name replaces "Authly" in the
 * interface texts, and the accent colour becomes CSS custom properties (app/globals.css derives
 * hover, soft and dark-theme shades from it).
 */

export const DEFAULT_PRODUCT_NAME = "Authly";

type Tree = { [key: string]: string | Tree };

/** The messages with every "Authly" replaced by the tenant's product name (a new object; the catalogue is not changed). */
export function brandMessages<T extends object>(messages: T, productName: string | null): T {
  if (!productName || productName === DEFAULT_PRODUCT_NAME) return messages;
  // ICU syntax characters in the name must not start an argument or a quoted section.
  const literal = productName.replace(/'/g, "''").replace(/[{}<>]/g, (c) => `'${c}'`);
  const visit = (tree: Tree): Tree => {
    const out: Tree = {};
    for (const [key, value] of Object.entries(tree)) out[key] = typeof value === "string" ? value.replaceAll(DEFAULT_PRODUCT_NAME, literal) : visit(value);
    return out;
  };
  return visit(messages as unknown as Tree) as unknown as T;
}

/** Relative luminance (WCAG 2.1 §1.4.3 definition) of #rrggbb. */
function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

/**
 * CSS custom properties for an accent colour: the colour itself and the text colour on it, white
 * or near-black, whichever has the higher contrast (WCAG 2.1 §1.4.3). Null for no or a bad colour.
 */
export function accentStyle(accentColor: string | null): Record<string, string> | null {
  if (!accentColor || !/^#[0-9a-fA-F]{6}$/.test(accentColor)) return null;
  const l = luminance(accentColor);
  const onWhite = 1.05 / (l + 0.05);
  const onBlack = (l + 0.05) / 0.05;
  return { "--brand": accentColor.toLowerCase(), "--brand-fg": onWhite >= onBlack ? "#ffffff" : "#0b0d12" };
}
