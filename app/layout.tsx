import type { Metadata, Viewport } from "next";
import { NextIntlClientProvider } from "next-intl";
import { getLocale, getMessages, getTranslations } from "next-intl/server";
import type { CSSProperties, ReactNode } from "react";
import { getContainer } from "@/lib/server/instance";
import { accentStyle, DEFAULT_PRODUCT_NAME } from "@/lib/tenancy/branding";
import { SiteFooter } from "@/components/layout/site-footer";
import { SiteHeader } from "@/components/layout/site-header";
import "./globals.css";

// Every page is rendered per request: each response has its own CSP nonce (proxy.ts) on its scripts,
// and the language, the tenant's branding and the session come from the request. Nothing is
// prerendered at build time, so a build never opens the database.
export const dynamic = "force-dynamic";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("Metadata");
  return {
    title: { template: `%s · ${t("siteName")}`, default: t("siteName") },
    description: t("description"),
    applicationName: t("siteName"),
    icons: { icon: { url: "/favicon.svg", type: "image/svg+xml" } },
    // An identity provider's pages are not search-engine content.
    robots: { index: false, follow: false },
  };
}

export const viewport: Viewport = {
  colorScheme: "light dark",
  themeColor: [
    { media: "(prefers-color-scheme: light)", color: "#f5f6f8" },
    { media: "(prefers-color-scheme: dark)", color: "#0b0d12" },
  ],
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  const [locale, t, messages, container] = await Promise.all([getLocale(), getTranslations("Layout"), getMessages(), getContainer()]);
  const settings = await container.tenantSettings.get();
  // The tenant's accent colour (app/globals.css derives the other shades from it).
  const brand = accentStyle(settings.accentColor);
  return (
    <html lang={locale} {...(brand && { "data-brand": "", style: brand as CSSProperties })}>
      <body className="flex min-h-dvh flex-col">
        <a
          href="#main"
          className="sr-only focus:not-sr-only focus:fixed focus:top-3 focus:left-4 focus:z-50 focus:rounded-lg focus:bg-accent focus:px-4 focus:py-2.5 focus:text-sm focus:font-semibold focus:text-accent-fg focus:shadow-lg"
        >
          {t("skipToContent")}
        </a>
        {/* Client components only get the messages they use; everything else renders on the server. */}
        <NextIntlClientProvider messages={{ CopyButton: messages.CopyButton }}>
          <SiteHeader productName={settings.productName ?? DEFAULT_PRODUCT_NAME} logoUri={settings.logoUri} />
          <main id="main" tabIndex={-1} className="flex-1">
            {children}
          </main>
          <SiteFooter />
        </NextIntlClientProvider>
      </body>
    </html>
  );
}
