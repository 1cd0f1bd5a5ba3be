import type { Metadata } from "next";
import Link from "next/link";
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { getTranslations } from "next-intl/server";
import { BackHomeLink, CenteredCard, Notice } from "@/components/ui/centered-card";
import { InfoIcon, LogoutIcon } from "@/components/ui/icons";
import { getContainer } from "@/lib/server/instance";
import { accountPaths, pagePaths } from "@/lib/protocol/paths";

export const dynamic = "force-dynamic";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations("Logout"))("signedOutTitle") };
}

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

/**
 * "You are signed out": where a logout ends (RP-initiated logout without a post-logout redirect,
 * the account page's sign-out). A browser that still has a valid session is sent to its account.
 */
export default async function SignedOutPage({ searchParams }: { searchParams: SearchParams }) {
  const params = await searchParams;
  const [t, ts, container, cookieStore] = await Promise.all([getTranslations("Logout"), getTranslations("SignedOut"), getContainer(), cookies()]);
  if (await container.sessions.fromCookies(cookieStore)) redirect(accountPaths.overview);
  const wasSignedIn = params.signed_in !== "0";
  return (
    <CenteredCard icon={LogoutIcon} title={t("signedOutTitle")} lead={wasSignedIn ? ts("lead") : t("notSignedInLead")}>
      {params.unrecognised_redirect === "1" ? (
        // RP-Initiated Logout 1.0 §3: a post_logout_redirect_uri that is not registered is not followed.
        <Notice icon={InfoIcon} title={t("signedOutTitle")}>
          {t("unrecognisedRedirect")}
        </Notice>
      ) : null}
      <Link
        href={pagePaths.login}
        className="mt-6 inline-flex w-full items-center justify-center rounded-lg bg-accent px-4 py-2.5 text-sm font-semibold text-accent-fg shadow-sm transition-colors hover:bg-accent-hover"
      >
        {ts("signInAgain")}
      </Link>
      <BackHomeLink label={t("backHome")} />
    </CenteredCard>
  );
}
