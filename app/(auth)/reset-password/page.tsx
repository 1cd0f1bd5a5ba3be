import type { Metadata } from "next";
import { NextIntlClientProvider } from "next-intl";
import { getMessages, getTranslations } from "next-intl/server";
import { z } from "zod";
import { BackHomeLink, CenteredCard } from "@/components/ui/centered-card";
import { CheckIcon, InfoIcon, KeyIcon } from "@/components/ui/icons";
import { mailLinkPaths } from "@/lib/identity/registration";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "@/lib/identity/user-service";
import { USER_TOKEN_LIFETIME_MS } from "@/lib/identity/email-link-tokens";
import { getContainer } from "@/lib/server/instance";
import { NextSteps } from "@/components/auth/form-parts";
import { resetPassword } from "./actions";
import { ResetPasswordForm } from "./reset-password-form";

export const dynamic = "force-dynamic";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

const searchSchema = z.object({
  token: z.string().max(256).optional().catch(undefined),
  done: z.literal("1").optional().catch(undefined),
});

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations("ResetPassword"))("metaTitle") };
}

/**
 * The target of the reset link (/reset-password?token=...): the form while the link works (it is
 * used up only when the new password is set), a clear card when it does not, and the "done" card
 * after the change (?done=1).
 */
export default async function ResetPasswordPage({ searchParams }: { searchParams: SearchParams }) {
  const parsed = searchSchema.safeParse(await searchParams);
  const { token, done } = parsed.success ? parsed.data : {};
  const [container, t] = await Promise.all([getContainer(), getTranslations("ResetPassword")]);

  if (done) {
    return (
      <CenteredCard icon={CheckIcon} title={t("doneTitle")} lead={t("doneLead")}>
        <NextSteps primary={{ href: "/login", label: t("signIn") }} secondary={{ href: "/account", label: t("account") }} />
        <BackHomeLink label={t("backHome")} />
      </CenteredCard>
    );
  }

  const account = token === undefined ? null : await container.passwordReset.checkToken(token);
  if (!account || token === undefined) {
    return (
      <CenteredCard icon={InfoIcon} title={t("invalidTitle")} lead={t("invalidLead", { minutes: USER_TOKEN_LIFETIME_MS.reset_password / 60_000 })}>
        <NextSteps primary={{ href: mailLinkPaths.forgotPassword, label: t("requestNew") }} />
        <BackHomeLink label={t("backHome")} />
      </CenteredCard>
    );
  }

  const messages = await getMessages();
  return (
    <CenteredCard icon={KeyIcon} title={t("title")} lead={t("lead", { email: account.email })}>
      <NextIntlClientProvider messages={{ ResetPassword: messages.ResetPassword }}>
        <ResetPasswordForm
          action={resetPassword}
          token={token}
          email={account.email}
          minPasswordLength={MIN_PASSWORD_LENGTH}
          maxPasswordLength={MAX_PASSWORD_LENGTH}
          requestNewHref={mailLinkPaths.forgotPassword}
        />
      </NextIntlClientProvider>
    </CenteredCard>
  );
}
