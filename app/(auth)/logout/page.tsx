import type { Metadata } from "next";
import Link from "next/link";
import { cookies } from "next/headers";
import { getTranslations } from "next-intl/server";
import { z } from "zod";
import { BackHomeLink, CenteredCard, Notice } from "@/components/ui/centered-card";
import { InfoIcon, LoginIcon, LogoutIcon } from "@/components/ui/icons";
import { oidcPaths } from "@/lib/oidc/paths";
import { logoutCsrfToken } from "@/lib/oidc/logout/csrf";
import { getContainer } from "@/lib/server/instance";

export const dynamic = "force-dynamic";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations("Logout"))("confirmTitle") };
}

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

/** What /oidc/logout validated and sends along; the form posts it back, where it is checked again. */
const paramsSchema = z.object({
  client_id: z.string().max(255).optional(),
  post_logout_redirect_uri: z.string().max(2048).optional(),
  state: z.string().max(2048).optional(),
  ui_locales: z.string().max(256).optional(),
  unrecognised_redirect: z.literal("1").optional(),
});

/**
 * RP-Initiated Logout 1.0 §2 ("the OP SHOULD ask the End-User whether to log out of the OP as
 * well") and §6: a logout request that cannot be tied to this browser's session is confirmed here.
 * The form posts back to the end_session_endpoint with a CSRF token bound to the session.
 */
export default async function ConfirmLogoutPage({ searchParams }: { searchParams: SearchParams }) {
  const raw = await searchParams;
  const parsed = paramsSchema.safeParse(Object.fromEntries(Object.entries(raw).filter((e): e is [string, string] => typeof e[1] === "string")));
  const params = parsed.success ? parsed.data : {};
  const [t, container, cookieStore] = await Promise.all([getTranslations("Logout"), getContainer(), cookies()]);
  const session = await container.sessions.fromCookies(cookieStore);
  if (!session) {
    return (
      <CenteredCard icon={LoginIcon} title={t("signedOutTitle")} lead={t("notSignedInLead")}>
        <BackHomeLink label={t("backHome")} />
      </CenteredCard>
    );
  }
  const [user, client] = await Promise.all([
    container.users.findById(session.userId),
    params.client_id ? container.clients.findActive(params.client_id) : Promise.resolve(null),
  ]);
  const { unrecognised_redirect: unrecognised, ...fields } = params;
  return (
    <CenteredCard icon={LogoutIcon} title={t("confirmTitle")} lead={t("confirmLead", { email: user?.email ?? "" })}>
      {client ? <p className="mt-4 text-sm leading-relaxed text-fg-muted">{t("confirmFrom", { app: client.name })}</p> : null}
      {unrecognised ? (
        <Notice icon={InfoIcon} title={t("signOut")}>
          {t("unrecognisedRedirect")}
        </Notice>
      ) : null}
      <form method="post" action={oidcPaths.endSession} className="mt-6 flex flex-col-reverse gap-3 sm:flex-row">
        {Object.entries(fields).map(([name, value]) => (value === undefined ? null : <input key={name} type="hidden" name={name} value={value} />))}
        <input type="hidden" name="csrf_token" value={logoutCsrfToken(container.cookieSecret, session.id)} />
        <Link
          href="/account"
          className="flex-1 rounded-lg border border-border-strong bg-surface px-4 py-2.5 text-center text-sm font-semibold text-fg shadow-xs transition-colors hover:bg-surface-muted"
        >
          {t("staySignedIn")}
        </Link>
        <button
          type="submit"
          className="flex-1 rounded-lg bg-accent px-4 py-2.5 text-sm font-semibold text-accent-fg shadow-sm transition-colors hover:bg-accent-hover"
        >
          {t("signOut")}
        </button>
      </form>
    </CenteredCard>
  );
}
