import type { Metadata } from "next";
import Link from "next/link";
import { getTranslations } from "next-intl/server";
import type { ComponentType, SVGProps } from "react";
import { CodeBlock } from "@/components/ui/code-block";
import { ArrowRightIcon, CodeIcon, DocumentIcon, LoginIcon, UserIcon } from "@/components/ui/icons";
import { getContainer } from "@/lib/server/instance";
import { accountPaths, pagePaths, wellKnownPaths } from "@/lib/protocol/paths";

export const dynamic = "force-dynamic";

const DISCOVERY_PATH = wellKnownPaths.openidConfiguration;

export async function generateMetadata(): Promise<Metadata> {
  const [t, tm] = await Promise.all([getTranslations("Home"), getTranslations("Metadata")]);
  // The root layout's title template applies to child segments only; this page sits beside it.
  return { title: { absolute: `${tm("siteName")} · ${t("metaTitle")}` } };
}

interface Destination {
  key: "discovery" | "login" | "account";
  href: string;
  icon: ComponentType<SVGProps<SVGSVGElement>>;
  /** A machine endpoint, not a page of this app: a plain link, no client-side navigation. */
  external?: boolean;
}

const destinations: Destination[] = [
  { key: "discovery", href: DISCOVERY_PATH, icon: DocumentIcon, external: true },
  { key: "login", href: pagePaths.login, icon: LoginIcon },
  { key: "account", href: accountPaths.overview, icon: UserIcon },
];

export default async function HomePage() {
  const [t, container] = await Promise.all([getTranslations("Home"), getContainer()]);
  const issuer = container.config.issuer;

  return (
    <div className="mx-auto max-w-5xl px-4 sm:px-6">
      <section
        aria-labelledby="hero-title"
        className="grid items-center gap-10 pt-12 pb-14 sm:pt-20 lg:grid-cols-[minmax(0,1.15fr)_minmax(0,1fr)] lg:gap-14"
      >
        <div>
          <p className="inline-flex items-center gap-2 rounded-full bg-accent-soft px-3 py-1 text-xs font-semibold tracking-wider text-accent-soft-fg uppercase">
            {t("eyebrow")}
          </p>
          <h1
            id="hero-title"
            className="mt-5 text-[2rem] leading-tight font-bold tracking-tight text-balance text-fg sm:text-5xl sm:leading-[1.1]"
          >
            {t("title")}
          </h1>
          <p className="mt-5 max-w-xl text-lg leading-relaxed text-pretty text-fg-muted">{t("lead")}</p>
        </div>

        <div className="relative isolate">
          <div
            aria-hidden="true"
            className="absolute -inset-4 -z-10 rounded-[2rem] bg-gradient-to-br from-indigo-500/15 via-violet-500/10 to-transparent blur-2xl"
          />
          <div className="rounded-2xl border border-border bg-surface p-5 shadow-sm sm:p-6">
            <h2 className="text-sm font-semibold text-fg">{t("issuer.heading")}</h2>
            <p className="mt-1 text-sm leading-relaxed text-fg-muted">{t("issuer.description")}</p>
            <CodeBlock id="issuer-url" code={issuer} copyWhat={t("issuer.copyWhat")} className="mt-4" />
          </div>
        </div>
      </section>

      <section aria-labelledby="links-heading" className="pb-14">
        <h2 id="links-heading" className="text-xl font-semibold tracking-tight text-fg">
          {t("links.heading")}
        </h2>
        <ul className="mt-5 grid gap-4 sm:grid-cols-3">
          {destinations.map(({ key, href, icon: Icon, external }) => {
            const className =
              "group flex h-full flex-col rounded-2xl border border-border bg-surface p-5 shadow-sm transition hover:border-border-strong hover:shadow-md";
            const body = (
              <>
                <span className="flex size-10 items-center justify-center rounded-xl bg-accent-soft text-accent-soft-fg">
                  <Icon className="size-5" />
                </span>
                <span className="mt-4 flex items-center gap-1.5 font-semibold text-fg">
                  {t(`links.${key}.title`)}
                  <ArrowRightIcon className="size-4 text-fg-muted transition-transform group-hover:translate-x-0.5" />
                </span>
                <span className="mt-1.5 text-sm leading-relaxed text-fg-muted">{t(`links.${key}.description`)}</span>
              </>
            );
            return (
              <li key={key}>
                {external ? (
                  <a href={href} className={className}>
                    {body}
                  </a>
                ) : (
                  <Link href={href} className={className}>
                    {body}
                  </Link>
                )}
              </li>
            );
          })}
        </ul>
      </section>

      <section
        id="developers"
        aria-labelledby="developers-heading"
        className="mb-16 scroll-mt-6 rounded-2xl border border-border bg-surface p-6 shadow-sm sm:p-8"
      >
        <div className="flex items-center gap-3">
          <span className="flex size-10 items-center justify-center rounded-xl bg-accent-soft text-accent-soft-fg">
            <CodeIcon className="size-5" />
          </span>
          <h2 id="developers-heading" className="text-xl font-semibold tracking-tight text-fg">
            {t("developers.heading")}
          </h2>
        </div>
        <p className="mt-4 max-w-3xl leading-relaxed text-fg-muted">
          {t.rich("developers.lead", {
            path: DISCOVERY_PATH,
            code: (chunks) => (
              <code className="rounded bg-surface-muted px-1.5 py-0.5 font-mono text-[0.85em] text-fg">{chunks}</code>
            ),
          })}
        </p>
        <CodeBlock
          id="discovery-example"
          label={t("developers.exampleCaption")}
          code={`curl ${issuer}${DISCOVERY_PATH}`}
          copyWhat={t("developers.copyWhat")}
          className="mt-6"
        />
        <p className="mt-4 text-sm text-fg-muted">{t("developers.libraries")}</p>
      </section>
    </div>
  );
}
