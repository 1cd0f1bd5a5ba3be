import type { Metadata } from "next";
import { cookies } from "next/headers";
import { NextIntlClientProvider } from "next-intl";
import { getMessages, getTranslations } from "next-intl/server";
import { cache } from "react";
import { z } from "zod";
import { BackHomeLink, CenteredCard } from "@/components/ui/centered-card";
import { CheckIcon, InfoIcon, MailIcon } from "@/components/ui/icons";
import { USER_TOKEN_LIFETIME_MS } from "@/lib/identity/email-link-tokens";
import { getContainer } from "@/lib/server/instance";
import { signInUrl } from "../login/return-to";
import { formRequestMeta } from "../request-meta";
import { NextSteps } from "@/components/auth/form-parts";
import { resendVerification } from "./actions";
import { ResendForm } from "./resend-form";

export const dynamic = "force-dynamic";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

const searchSchema = z.object({ token: z.string().max(256).optional().catch(undefined) });
const VERIFY_HOURS = USER_TOKEN_LIFETIME_MS.verify_email / 3_600_000;

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations("VerifyEmail"))("metaTitle") };
}

/** Uses the link once per request (the page renders once; this guards against a second call). */
const verifyOnce = cache(async (token: string) => {
  const container = await getContainer();
  const { locale: _locale, ...meta } = await formRequestMeta(container);
  return container.registration.verifyEmail(token, meta);
});

/**
 * The target of the verification link (/verify-email?token=...). Opening the link confirms the
 * address (the token is single-use and only good for this); without a token, or with a spent one,
 * a signed-in user whose address is unconfirmed can have a new link sent.
 */
export default async function VerifyEmailPage({ searchParams }: { searchParams: SearchParams }) {
  const parsed = searchSchema.safeParse(await searchParams);
  const token = parsed.success ? parsed.data.token : undefined;
  const [container, cookieStore, t, site] = await Promise.all([getContainer(), cookies(), getTranslations("VerifyEmail"), getTranslations("Metadata")]);
  const product = site("siteName");

  if (token !== undefined) {
    const outcome = await verifyOnce(token);
    if (outcome.status === "verified") {
      return (
        <CenteredCard icon={CheckIcon} title={t("verifiedTitle")} lead={t("verifiedLead", { email: outcome.email, product })}>
          <NextSteps primary={{ href: "/account", label: t("account") }} secondary={{ href: "/login", label: t("signIn") }} />
          <BackHomeLink label={t("backHome")} />
        </CenteredCard>
      );
    }
  }

  const session = await container.sessions.fromCookies(cookieStore);
  const user = session ? await container.users.findById(session.userId) : null;
  if (user?.emailVerified) {
    return (
      <CenteredCard icon={CheckIcon} title={t("alreadyTitle")} lead={t("alreadyLead", { email: user.email })}>
        <NextSteps primary={{ href: "/account", label: t("account") }} />
        <BackHomeLink label={t("backHome")} />
      </CenteredCard>
    );
  }

  const title = token !== undefined ? t("invalidTitle") : user ? t("pendingTitle") : t("startTitle");
  const lead = token !== undefined ? t("invalidLead") : user ? t("pendingLead", { email: user.email }) : t("startLead", { hours: VERIFY_HOURS });
  const messages = await getMessages();
  return (
    <CenteredCard icon={token !== undefined ? InfoIcon : MailIcon} title={title} lead={lead}>
      {user ? (
        <>
          {token !== undefined ? <p className="mt-4 leading-relaxed text-fg-muted">{t("pendingLead", { email: user.email })}</p> : null}
          <p className="mt-4 text-sm leading-relaxed text-fg-muted">{t("pendingHint", { hours: VERIFY_HOURS })}</p>
          <NextIntlClientProvider messages={{ VerifyEmail: messages.VerifyEmail }}>
            <ResendForm action={resendVerification} email={user.email} />
          </NextIntlClientProvider>
        </>
      ) : (
        <>
          <p className="mt-4 text-sm leading-relaxed text-fg-muted">{t("startHint")}</p>
          <NextSteps primary={{ href: signInUrl("/verify-email"), label: t("signIn") }} />
        </>
      )}
      <BackHomeLink label={t("backHome")} />
    </CenteredCard>
  );
}
