import type { Metadata } from "next";
import { getFormatter, getTranslations } from "next-intl/server";
import { AppsIcon, CheckIcon, ExternalIcon } from "@/components/ui/icons";
import type { ApplicationAccess } from "@/lib/account/applications-service";
import { isStandardUserClaim } from "@/lib/oidc/claims";
import { accountPaths, requireAccount, userTimeZone } from "../account-context";
import { revokeAccess } from "../actions";
import { Card, PageHeading, SuccessNotice, dangerButtonClass, dangerOutlineButtonClass, httpsUrl } from "../ui";

export const dynamic = "force-dynamic";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("Applications");
  return { title: t("metaTitle") };
}

type SearchParams = Promise<{ done?: string | string[] }>;

const standardScopes = ["openid", "profile", "email", "address", "phone", "offline_access"] as const;
type StandardScope = (typeof standardScopes)[number];
const isStandardScope = (name: string): name is StandardScope => (standardScopes as readonly string[]).includes(name);

/** Only http(s) links from client metadata (RFC 7591 §2 client_uri). */
function webUrl(value: string | null): string | null {
  if (!value) return null;
  const url = URL.parse(value);
  return url && (url.protocol === "https:" || url.protocol === "http:") ? url.href : null;
}

/**
 * The applications holding the user's consent (active grants): what each may do, in the consent
 * page's words, since when, and "Revoke access" behind a confirmation.
 */
export default async function ApplicationsPage({ searchParams }: { searchParams: SearchParams }) {
  const { container, user } = await requireAccount(accountPaths.applications);
  const [{ done }, t, consent, format, applications] = await Promise.all([
    searchParams,
    getTranslations("Applications"),
    getTranslations("Consent"),
    getFormatter(),
    container.account.applications(user.id),
  ]);
  const zone = userTimeZone(user);
  // The consent page's wording for what was allowed (Consent.scopes, Consent.claims).
  const permissions = (app: ApplicationAccess): string[] => [
    ...app.scopes.map((scope) => (isStandardScope(scope.name) ? consent(`scopes.${scope.name}`) : (scope.description ?? consent("customScope", { scope: scope.name })))),
    ...app.claims.filter(isStandardUserClaim).map((claim) => consent(`claims.${claim}`)),
  ];

  return (
    <>
      <PageHeading title={t("title")} lead={t("lead")} />
      {done === "revoked" ? <SuccessNotice>{t("done.revoked")}</SuccessNotice> : null}
      {done === "not_found" ? <SuccessNotice>{t("done.notFound")}</SuccessNotice> : null}

      {applications.length === 0 ? (
        <Card className="mt-6">
          <div className="flex flex-col items-center gap-3 py-6 text-center">
            <span aria-hidden="true" className="flex size-12 items-center justify-center rounded-2xl bg-surface-muted text-fg-muted">
              <AppsIcon className="size-6" />
            </span>
            <p className="max-w-sm text-sm leading-relaxed text-fg-muted">{t("none")}</p>
          </div>
        </Card>
      ) : (
        <ul className="mt-6 space-y-4">
          {applications.map((app) => {
            const logo = httpsUrl(app.logoUri);
            const home = webUrl(app.clientUri);
            const headingId = `app-${app.clientRowId}`;
            return (
              <li key={app.clientRowId}>
                <Card labelledBy={headingId}>
                  <div className="flex items-start gap-4">
                    {logo ? (
                      // eslint-disable-next-line @next/next/no-img-element -- a remote logo of any size; no image optimizer for foreign hosts
                      <img src={logo} alt={t("logoAlt", { client: app.name })} width={48} height={48} referrerPolicy="no-referrer" className="size-12 shrink-0 overflow-hidden rounded-xl border border-border bg-surface object-contain text-[0px]" />
                    ) : (
                      <span aria-hidden="true" className="flex size-12 shrink-0 items-center justify-center rounded-xl bg-accent-soft text-accent-soft-fg">
                        <AppsIcon className="size-6" />
                      </span>
                    )}
                    <div className="min-w-0 flex-1">
                      <h2 id={headingId} className="truncate text-base font-semibold text-fg">
                        {app.name}
                      </h2>
                      <p className="mt-0.5 text-sm text-fg-muted">{t("grantedAt", { date: format.dateTime(app.grantedAt, "date", zone) })}</p>
                      {home ? (
                        <a href={home} rel="noopener noreferrer" className="mt-1 inline-flex max-w-full items-center gap-1 text-sm font-medium text-accent hover:text-accent-hover hover:underline">
                          <span className="truncate">{new URL(home).host}</span>
                          <ExternalIcon className="size-3.5 shrink-0" />
                        </a>
                      ) : null}
                    </div>
                  </div>
                  <h3 className="mt-5 text-sm font-semibold text-fg">{t("mayIntro")}</h3>
                  <ul className="mt-2 space-y-1.5">
                    {permissions(app).map((text) => (
                      <li key={text} className="flex items-start gap-2 text-sm leading-relaxed text-fg">
                        <CheckIcon className="mt-0.5 size-4 shrink-0 text-accent" />
                        {text}
                      </li>
                    ))}
                  </ul>
                  {/* A second, deliberate click: the confirmation opens first (works without JavaScript). */}
                  <details className="mt-5 border-t border-border pt-4">
                    <summary className={dangerOutlineButtonClass} aria-label={t("revokeFor", { client: app.name })}>
                      {t("revoke")}
                    </summary>
                    <div className="mt-3 rounded-xl border border-red-200 bg-red-50/60 p-4 dark:border-red-900/70 dark:bg-red-950/30">
                      <p className="text-sm leading-relaxed text-fg">{t("revokeConfirmText", { client: app.name })}</p>
                      <form action={revokeAccess} className="mt-3">
                        <input type="hidden" name="client" value={app.clientRowId} />
                        <button type="submit" className={dangerButtonClass}>
                          {t("revokeConfirm")}
                        </button>
                      </form>
                    </div>
                  </details>
                </Card>
              </li>
            );
          })}
        </ul>
      )}
    </>
  );
}
