import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { getTranslations } from "next-intl/server";
import { ClientIdentity } from "@/components/auth/client-identity";
import { BackHomeLink, CenteredCard, Notice } from "@/components/ui/centered-card";
import { CheckIcon, InfoIcon, ShieldIcon, UserIcon } from "@/components/ui/icons";
import { pageUrl } from "@/lib/oauth/interaction/browser";
import { CONSENT_TEXT_VERSION } from "@/lib/consent/grant-service";
import { isStandardUserClaim, type StandardUserClaim } from "@/lib/oidc/claims";
import { loadInteraction, requestInteractionLocale } from "../login/request-locale";
import { decideConsent } from "./actions";

export const dynamic = "force-dynamic";

type SearchParams = Promise<{ interaction?: string | string[] }>;

export async function generateMetadata({ searchParams }: { searchParams: SearchParams }): Promise<Metadata> {
  const { interaction } = await searchParams;
  const t = await getTranslations({ namespace: "Consent", locale: await requestInteractionLocale(await loadInteraction(interaction)) });
  return { title: t("metaTitle") };
}

const standardScopes = ["openid", "profile", "email", "address", "phone", "offline_access"] as const;
type StandardScope = (typeof standardScopes)[number];
const isStandardScope = (name: string): name is StandardScope => (standardScopes as readonly string[]).includes(name);


/**
 * Consent: which application asks, for what (its scopes, and user claims requested one by one
 * through the claims parameter, OIDC Core §5.5), and Allow / Deny (both plain form posts to a
 * server action). The language follows the request's ui_locales (OIDC Core §3.1.2.1).
 */
export default async function ConsentPage({ searchParams }: { searchParams: SearchParams }) {
  const { interaction } = await searchParams;
  const view = await loadInteraction(interaction);
  const locale = await requestInteractionLocale(view);
  const t = await getTranslations({ namespace: "Consent", locale });
  if (!view) {
    const tl = await getTranslations({ namespace: "SignIn", locale });
    return (
      <div lang={locale}>
        <CenteredCard icon={ShieldIcon} title={t("title")} lead={t("expiredTitle")}>
          <Notice icon={InfoIcon} title={t("expiredTitle")}>
            {t("expired")}
          </Notice>
          <BackHomeLink label={tl("backHome")} />
        </CenteredCard>
      </div>
    );
  }
  // Nobody is signed in for this request (yet), or a new sign-in is required: sign in first.
  if (view.prompt === "login") redirect(pageUrl("login", view.id, view.uiLocales));

  const describe = (scope: { name: string; description: string | null }) =>
    isStandardScope(scope.name) ? t(`scopes.${scope.name}`) : (scope.description ?? t("customScope", { scope: scope.name }));
  const [tp, ti] = await Promise.all([getTranslations({ locale, namespace: "ConsentPage" }), getTranslations({ locale, namespace: "ClientIdentity" })]);
  // Only what the user has not allowed yet is asked for; the rest is listed as already allowed.
  const grantedScopes = new Set(view.granted.scopes);
  const grantedClaims = new Set(view.granted.claims);
  const newScopes = view.scopes.filter((s) => !grantedScopes.has(s.name));
  const keptScopes = view.scopes.filter((s) => grantedScopes.has(s.name));
  // individuallyRequestedClaims only returns standard user claims; anything else is not shown.
  const claims = view.claims.filter((c): c is { name: StandardUserClaim; essential: boolean } => isStandardUserClaim(c.name) && !grantedClaims.has(c.name));
  const extending = keptScopes.length > 0;

  return (
    <div lang={locale}>
      <CenteredCard icon={ShieldIcon} title={t("title")} lead={t("lead", { client: view.client.name })}>
        <ClientIdentity
          client={view.client}
          labels={{
            region: ti("region"),
            logoAlt: ti("logoAlt", { client: view.client.name }),
            links: ti("links", { client: view.client.name }),
            policy: ti("policy"),
            terms: ti("terms"),
          }}
        />
        {view.userEmail ? (
          <p className="mt-3 flex flex-wrap items-center gap-x-2 gap-y-1 px-1 text-sm text-fg-muted">
            <UserIcon className="size-4 shrink-0" />
            <span className="truncate">{t("signedInAs", { email: view.userEmail })}</span>
            <Link href={pageUrl("login", view.id, view.uiLocales)} className="font-medium text-accent hover:text-accent-hover hover:underline">
              {tp("notYou")}
            </Link>
          </p>
        ) : null}
        {newScopes.length > 0 ? (
          <>
            <h2 className="mt-6 text-sm font-semibold text-fg">{extending ? tp("newScopesIntro", { client: view.client.name }) : t("scopesIntro")}</h2>
            <ul className="mt-3 divide-y divide-border rounded-xl border border-border" data-testid="requested-scopes">
              {newScopes.map((scope) => (
                <li key={scope.name} className="flex items-start gap-3 px-4 py-3">
                  <CheckIcon className="mt-0.5 size-5 shrink-0 text-accent" />
                  <span className="text-sm leading-relaxed text-fg">{describe(scope)}</span>
                </li>
              ))}
            </ul>
          </>
        ) : null}
        {claims.length > 0 ? (
          <>
            <h2 className="mt-6 text-sm font-semibold text-fg">{extending ? tp("newClaimsIntro") : t("claimsIntro")}</h2>
            <ul className="mt-3 divide-y divide-border rounded-xl border border-border" data-testid="requested-claims">
              {claims.map((claim) => (
                <li key={claim.name} className="flex items-start gap-3 px-4 py-3">
                  <CheckIcon className="mt-0.5 size-5 shrink-0 text-accent" />
                  <span className="text-sm leading-relaxed text-fg">
                    {t(`claims.${claim.name}`)}
                    {/* OIDC Core §5.5.1: the client marked this claim essential. */}
                    {claim.essential ? (
                      <span className="ml-2 inline-block rounded-md bg-accent-soft px-1.5 py-0.5 text-xs font-medium text-accent-soft-fg">{t("essential")}</span>
                    ) : null}
                  </span>
                </li>
              ))}
            </ul>
          </>
        ) : null}
        {newScopes.length === 0 && claims.length === 0 ? <p className="mt-6 text-sm leading-relaxed text-fg-muted">{t("noScopes")}</p> : null}
        {keptScopes.length > 0 ? (
          <details className="mt-4 rounded-xl border border-border px-4 py-3 text-sm" data-testid="granted-scopes">
            <summary className="cursor-pointer font-medium text-fg-muted">
              {tp("alreadyAllowed")} ({keptScopes.length})
            </summary>
            <p className="mt-2 text-fg-muted">{tp("alreadyAllowedHint")}</p>
            <ul className="mt-2 list-disc space-y-1 pl-5 text-fg-muted">
              {keptScopes.map((scope) => (
                <li key={scope.name}>{describe(scope)}</li>
              ))}
            </ul>
          </details>
        ) : null}
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
        <p className="mt-2 text-xs text-fg-muted">{tp("textVersion", { version: CONSENT_TEXT_VERSION })}</p>
      </CenteredCard>
    </div>
  );
}
