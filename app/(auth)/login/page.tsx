import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { BackHomeLink, CenteredCard, Notice } from "@/components/ui/centered-card";
import { InfoIcon, LoginIcon, UserIcon } from "@/components/ui/icons";
import { signIn } from "./actions";
import { LoginForm } from "./login-form";
import { loginTranslator } from "./page-locale";
import { loadInteraction, requestInteractionLocale } from "./request-locale";

export const dynamic = "force-dynamic";

type SearchParams = Promise<{ interaction?: string | string[] }>;

export async function generateMetadata({ searchParams }: { searchParams: SearchParams }): Promise<Metadata> {
  const { interaction } = await searchParams;
  if (interaction === undefined) return { title: (await getTranslations("Login"))("metaTitle") };
  const t = loginTranslator(await requestInteractionLocale(await loadInteraction(interaction)));
  return { title: t("metaTitle") };
}

const steps = ["start", "authorize", "return"] as const;

/**
 * Sign-in. With `?interaction=<id>` (sent here by /oauth/authorize) it shows the sign-in form for
 * that pending authorization request; without one it explains where sign-in starts.
 */
export default async function LoginPage({ searchParams }: { searchParams: SearchParams }) {
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
  const view = await loadInteraction(interaction);
  // OIDC Core §3.1.2.1 ui_locales: the request's language preference wins for this card.
  const locale = await requestInteractionLocale(view);
  const t = loginTranslator(locale);
  if (!view) {
    return (
      <div lang={locale}>
        <CenteredCard icon={LoginIcon} title={t("title")} lead={t("lead")}>
          <Notice icon={InfoIcon} title={t("expiredTitle")}>
            {t("expired")}
          </Notice>
          <BackHomeLink label={t("backHome")} />
        </CenteredCard>
      </div>
    );
  }
  return (
    <div lang={locale}>
      <CenteredCard icon={LoginIcon} title={t("title")} lead={t("formLead", { client: view.client.name })}>
        {view.userEmail ? (
          // Signed in already, and the request needs a new sign-in (prompt=login or select_account,
          // max_age, id_token_hint of another user: OIDC Core §3.1.2.1).
          <Notice icon={UserIcon} title={t("reauthTitle")}>
            {t("reauth", { email: view.userEmail, client: view.client.name })}
          </Notice>
        ) : null}
        <LoginForm
          action={signIn}
          interaction={view.id}
          // OIDC Core §3.1.2.1 login_hint (an email), else the signed-in user's email when signing in again.
          defaultEmail={view.loginEmail}
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
    </div>
  );
}
