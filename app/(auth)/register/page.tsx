import type { Metadata } from "next";
import { NextIntlClientProvider } from "next-intl";
import { getMessages, getTranslations } from "next-intl/server";
import { BackHomeLink, CenteredCard } from "@/components/ui/centered-card";
import { MAX_NAME_LENGTH, mailLinkPaths } from "@/lib/identity/registration";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "@/lib/identity/user-service";
import { USER_TOKEN_LIFETIME_MS } from "@/lib/identity/email-link-tokens";
import { getContainer } from "@/lib/server/instance";
import { register } from "./actions";
import { RegisterForm } from "./register-form";
import { UserPlusIcon } from "@/components/ui/icons";

export const dynamic = "force-dynamic";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations("Register"))("metaTitle") };
}

/**
 * Self-registration (lib/identity/registration.ts): a form while the tenant allows it, else a card
 * saying so (the server action refuses too).
 */
export default async function RegisterPage() {
  const [container, t, site, messages] = await Promise.all([getContainer(), getTranslations("Register"), getTranslations("Metadata"), getMessages()]);
  // The site name carries the tenant's product name (i18n/request.ts brands the messages).
  const product = site("siteName");
  if (!(await container.registration.isEnabled())) {
    return (
      <CenteredCard icon={UserPlusIcon} title={t("disabledTitle")} lead={t("disabledLead", { product })}>
        <BackHomeLink label={t("backHome")} />
      </CenteredCard>
    );
  }
  return (
    // The form's client component gets only its own messages.
    <NextIntlClientProvider messages={{ Register: messages.Register }}>
      <RegisterForm
        action={register}
        product={product}
        minPasswordLength={MIN_PASSWORD_LENGTH}
        maxPasswordLength={MAX_PASSWORD_LENGTH}
        maxNameLength={MAX_NAME_LENGTH}
        verifyHours={USER_TOKEN_LIFETIME_MS.verify_email / 3_600_000}
        signInHref="/login"
        forgotPasswordHref={mailLinkPaths.forgotPassword}
      />
    </NextIntlClientProvider>
  );
}
