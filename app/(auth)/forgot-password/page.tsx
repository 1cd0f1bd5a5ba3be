import type { Metadata } from "next";
import { NextIntlClientProvider } from "next-intl";
import { getMessages, getTranslations } from "next-intl/server";
import { mailLinkPaths } from "@/lib/identity/registration";
import { USER_TOKEN_LIFETIME_MS } from "@/lib/identity/email-link-tokens";
import { getContainer } from "@/lib/server/instance";
import { requestPasswordReset } from "./actions";
import { ForgotPasswordForm } from "./forgot-password-form";

export const dynamic = "force-dynamic";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations("ForgotPassword"))("metaTitle") };
}

/** "Forgot your password?": asks for the address and mails a reset link (lib/identity/password-reset.ts). */
export default async function ForgotPasswordPage() {
  const [container, site, messages] = await Promise.all([getContainer(), getTranslations("Metadata"), getMessages()]);
  const registrationOpen = await container.registration.isEnabled();
  return (
    <NextIntlClientProvider messages={{ ForgotPassword: messages.ForgotPassword }}>
      <ForgotPasswordForm
        action={requestPasswordReset}
        product={site("siteName")}
        resetMinutes={USER_TOKEN_LIFETIME_MS.reset_password / 60_000}
        signInHref="/login"
        {...(registrationOpen && { registerHref: mailLinkPaths.register })}
      />
    </NextIntlClientProvider>
  );
}
