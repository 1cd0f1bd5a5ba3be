/**
 * The shell of the HTML pages that handlers render themselves (no Next.js render: the
 * authorization error and form_post pages, the logout pages) and the escaping every value put
 * into HTML goes through, mails included.
 */
import type { Locale } from "../../i18n/locales";

/** A complete handler-rendered page in the shared card style. */
export function htmlDocument(locale: Locale, title: string, body: string): string {
  return `<!doctype html>
<html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
<title>${escapeHtml(title)} · Authly</title><style>${pageStyle}</style></head>
<body><main>${body}</main></body></html>`;
}

/** The look of the Next pages' centered card (app/globals.css tokens), in a few lines. */
const pageStyle = `:root{color-scheme:light dark;--canvas:#f5f6f8;--surface:#fff;--border:#dfe3e8;--fg:#111827;--muted:#4b5563;--accent:#4338ca;--soft:#eef0ff;--soft-fg:#3730a3;--code:#f0f2f5}
@media (prefers-color-scheme:dark){:root{--canvas:#0b0d12;--surface:#12151c;--border:#262b36;--fg:#e8eaef;--muted:#a3abb9;--accent:#a5b4fc;--soft:#1e1f3b;--soft-fg:#c7d2fe;--code:#181c25}}
*{box-sizing:border-box}body{margin:0;background:var(--canvas);color:var(--fg);font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue","Noto Sans","Liberation Sans",Arial,sans-serif;-webkit-font-smoothing:antialiased}
main{display:flex;justify-content:center;padding:5rem 1rem}.card{width:100%;max-width:28rem;background:var(--surface);border:1px solid var(--border);border-radius:1rem;padding:2rem;box-shadow:0 1px 2px rgb(0 0 0/.05)}
.icon{display:flex;width:3rem;height:3rem;align-items:center;justify-content:center;border-radius:1rem;background:var(--soft);color:var(--soft-fg)}.icon svg{width:1.5rem;height:1.5rem}
h1{margin:1.5rem 0 0;font-size:1.5rem;line-height:2rem;font-weight:700;letter-spacing:-.025em}p{margin:.75rem 0 0;line-height:1.625;color:var(--muted)}p.lead{margin-top:.5rem}
.details{margin-top:1.5rem;border:1px solid var(--border);border-radius:.75rem;padding:1rem;font-size:.875rem}.details .label{margin:0;font-weight:600;color:var(--fg)}
dl{margin:.5rem 0 0;display:grid;grid-template-columns:auto 1fr;gap:.375rem .75rem;line-height:1.5}dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.8125rem;background:var(--code);border-radius:.25rem;padding:.05rem .3rem}
.footer{margin-top:2rem;border-top:1px solid var(--border);padding-top:1.25rem;font-size:.875rem}a{color:var(--accent);font-weight:500;text-decoration:none}a:hover{text-decoration:underline}
button{margin-top:1rem;border:0;border-radius:.5rem;background:var(--accent);color:#fff;padding:.625rem 1rem;font:inherit;font-weight:600;cursor:pointer}`;

/** Text or an attribute value for HTML: the five characters that could end either are escaped. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
