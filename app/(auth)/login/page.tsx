import type { Metadata } from "next";
import { cookies } from "next/headers";
import { getTranslations } from "next-intl/server";
import { BackHomeLink, CenteredCard, Notice } from "@/components/ui/centered-card";
import { InfoIcon, LoginIcon } from "@/components/ui/icons";
import { INTERACTION_COOKIE } from "@/lib/oauth/interactions";
import { getContainer } from "@/lib/server/instance";
import { signIn } from "./actions";
import { LoginForm } from "./login-form";

export const dynamic = "force-dynamic";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("Login");
  return { title: t("metaTitle") };
}

const steps = ["start", "authorize", "return"] as const;

/**
 * Sign-in. With `?interaction=<id>` (sent here by /oauth/authorize) it shows the sign-in form for
 * that pending authorization request; without one it explains where sign-in starts.
 */
export default async function LoginPage({ searchParams }: { searchParams: Promise<{ interaction?: string | string[] }> }) {
  const { interaction } = await searchParams;
  if (typeof interaction === "string") return <SignInForm interaction={interaction} />;
  const t = await getTranslations("Login");
  return (
    <CenteredCard icon={LoginIcon} title={t("title")} lead={t("lead")}>
      <h2 className="mt-6 text-sm font-semibold text-fg">{t("stepsTitle")}</h2>
      <ol className="mt-3 space-y-3">
        {steps.map((step, index) => (
          <li key={step} className="flex gap-3 text-sm leading-relaxed text-fg-muted">
            <span
              aria-hidden="true"
              className="flex size-6 shrink-0 items-center justify-center rounded-full bg-accent-soft text-xs font-semibold text-accent-soft-fg"
            >
              {index + 1}
            </span>
            <span className="pt-0.5">{t(`steps.${step}`)}</span>
          </li>
        ))}
      </ol>
      <Notice icon={InfoIcon} title={t("noRequestTitle")}>
        {t("noRequest")}
      </Notice>
      <BackHomeLink label={t("backHome")} />
    </CenteredCard>
  );
}

async function SignInForm({ interaction }: { interaction: string }) {
  const [t, container, cookieStore] = await Promise.all([getTranslations("Login"), getContainer(), cookies()]);
  const view = await container.interactions.get(interaction, cookieStore.get(INTERACTION_COOKIE)?.value);
  if (!view) {
    return (
      <CenteredCard icon={LoginIcon} title={t("title")} lead={t("lead")}>
        <Notice icon={InfoIcon} title={t("expiredTitle")}>
          {t("expired")}
        </Notice>
        <BackHomeLink label={t("backHome")} />
      </CenteredCard>
    );
  }
  return (
    <CenteredCard icon={LoginIcon} title={t("title")} lead={t("formLead", { client: view.client.name })}>
      <LoginForm
        action={signIn}
        interaction={view.id}
        defaultEmail={view.loginHint?.includes("@") ? view.loginHint : undefined}
        labels={{
          email: t("email"),
          password: t("password"),
          submit: t("submit"),
          submitting: t("submitting"),
          invalidCredentials: t("invalidCredentials"),
          expired: t("expired"),
        }}
      />
      <p className="mt-6 border-t border-border pt-5 text-sm leading-relaxed text-fg-muted">{t("privacyNote", { client: view.client.name })}</p>
    </CenteredCard>
  );
}
