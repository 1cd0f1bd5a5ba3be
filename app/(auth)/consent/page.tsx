import type { Metadata } from "next";
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { getTranslations } from "next-intl/server";
import { BackHomeLink, CenteredCard, Notice } from "@/components/ui/centered-card";
import { CheckIcon, InfoIcon, ShieldIcon, UserIcon } from "@/components/ui/icons";
import { INTERACTION_COOKIE, pageUrl } from "@/lib/oauth/interactions";
import { getContainer } from "@/lib/server/instance";
import { decideConsent } from "./actions";

export const dynamic = "force-dynamic";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("Consent");
  return { title: t("metaTitle") };
}

const standardScopes = ["openid", "profile", "email", "address", "phone", "offline_access"] as const;
type StandardScope = (typeof standardScopes)[number];
const isStandardScope = (name: string): name is StandardScope => (standardScopes as readonly string[]).includes(name);

/** Consent: which application asks, for what, and Allow / Deny (both plain form posts to a server action). */
export default async function ConsentPage({ searchParams }: { searchParams: Promise<{ interaction?: string | string[] }> }) {
  const { interaction } = await searchParams;
  const [t, container, cookieStore] = await Promise.all([getTranslations("Consent"), getContainer(), cookies()]);
  const view = typeof interaction === "string" ? await container.interactions.get(interaction, cookieStore.get(INTERACTION_COOKIE)?.value) : null;
  if (!view) {
    const tl = await getTranslations("Login");
    return (
      <CenteredCard icon={ShieldIcon} title={t("title")} lead={t("expiredTitle")}>
        <Notice icon={InfoIcon} title={t("expiredTitle")}>
          {t("expired")}
        </Notice>
        <BackHomeLink label={tl("backHome")} />
      </CenteredCard>
    );
  }
  // Nobody is signed in for this request (yet): sign in first.
  if (view.prompt === "login") redirect(pageUrl("login", view.id));

  const describe = (scope: { name: string; description: string | null }) =>
    isStandardScope(scope.name) ? t(`scopes.${scope.name}`) : (scope.description ?? t("customScope", { scope: scope.name }));

  return (
    <CenteredCard icon={ShieldIcon} title={t("title")} lead={t("lead", { client: view.client.name })}>
      {view.userEmail ? (
        <p className="mt-5 flex items-center gap-2 rounded-xl bg-surface-muted px-3 py-2 text-sm text-fg-muted">
          <UserIcon className="size-4 shrink-0" />
          <span className="truncate">{t("signedInAs", { email: view.userEmail })}</span>
        </p>
      ) : null}
      {view.scopes.length > 0 ? (
        <>
          <h2 className="mt-6 text-sm font-semibold text-fg">{t("scopesIntro")}</h2>
          <ul className="mt-3 divide-y divide-border rounded-xl border border-border">
            {view.scopes.map((scope) => (
              <li key={scope.name} className="flex items-start gap-3 px-4 py-3">
                <CheckIcon className="mt-0.5 size-5 shrink-0 text-accent" />
                <span className="text-sm leading-relaxed text-fg">{describe(scope)}</span>
              </li>
            ))}
          </ul>
        </>
      ) : (
        <p className="mt-6 text-sm leading-relaxed text-fg-muted">{t("noScopes")}</p>
      )}
      <form action={decideConsent} className="mt-6 flex flex-col-reverse gap-3 sm:flex-row">
        <input type="hidden" name="interaction" value={view.id} />
        <button
          type="submit"
          name="decision"
          value="deny"
          className="flex-1 rounded-lg border border-border-strong bg-surface px-4 py-2.5 text-sm font-semibold text-fg shadow-xs transition-colors hover:bg-surface-muted"
        >
          {t("deny")}
        </button>
        <button
          type="submit"
          name="decision"
          value="allow"
          className="flex-1 rounded-lg bg-accent px-4 py-2.5 text-sm font-semibold text-accent-fg shadow-sm transition-colors hover:bg-accent-hover"
        >
          {t("allow")}
        </button>
      </form>
      <p className="mt-6 border-t border-border pt-5 text-sm leading-relaxed text-fg-muted">{t("remember")}</p>
    </CenteredCard>
  );
}
