import type { Metadata } from "next";
import { ClientIdentity } from "@/components/auth/client-identity";
import { cookies } from "next/headers";
import Link from "next/link";
import { getTranslations } from "next-intl/server";
import { z } from "zod";
import { BackHomeLink, CardFooterLink, CenteredCard, Notice } from "@/components/ui/centered-card";
import { ArrowRightIcon, InfoIcon, LoginIcon, UserIcon } from "@/components/ui/icons";
import { getContainer } from "@/lib/server/instance";
import { signIn, signInDirect } from "./actions";
import { LoginForm } from "./login-form";
import { loadInteraction, requestInteractionLocale, signInTranslator } from "./request-locale";
import { DEFAULT_RETURN_TO, safeReturnTo, signInUrl } from "./return-to";
import { pagePaths } from "@/lib/protocol/paths";

export const dynamic = "force-dynamic";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;
type Translator = Awaited<ReturnType<typeof signInTranslator>>;

const searchSchema = z.object({
  /** An authorization request waiting for the user (set by /oauth/authorize). */
  interaction: z.union([z.string(), z.array(z.string())]).optional(),
  /** Plain sign-in: where to go afterwards (a path on this site, see return-to.ts). */
  return_to: z.string().optional().catch(undefined),
  /** Plain sign-in: show the form even when signed in ("Sign in as someone else"). */
  force: z.literal("1").optional().catch(undefined),
});

const primaryButtonClass =
  "flex w-full items-center justify-center gap-2 rounded-lg bg-accent px-4 py-2.5 text-sm font-semibold text-accent-fg shadow-sm transition-colors hover:bg-accent-hover";
const secondaryButtonClass =
  "flex w-full items-center justify-center rounded-lg border border-border-strong bg-surface px-4 py-2.5 text-sm font-semibold text-fg shadow-xs transition-colors hover:bg-surface-muted";
const linkClass = "rounded-md font-medium text-accent hover:text-accent-hover hover:underline";

async function parseSearch(searchParams: SearchParams) {
  const parsed = searchSchema.safeParse(await searchParams);
  return parsed.success ? parsed.data : {};
}

export async function generateMetadata({ searchParams }: { searchParams: SearchParams }): Promise<Metadata> {
  const { interaction } = await parseSearch(searchParams);
  if (interaction === undefined) return { title: (await getTranslations("SignIn"))("metaTitle") };
  const t = await signInTranslator(await requestInteractionLocale(await loadInteraction(interaction)));
  return { title: t("metaTitle") };
}

/**
 * Sign-in. With `?interaction=<id>` (sent here by /oauth/authorize) it signs the user in for that
 * pending authorization request and shows which application asks; without one it is the plain
 * sign-in to Authly itself (the header's "Account" link, /account), going to `return_to` afterwards.
 */
export default async function LoginPage({ searchParams }: { searchParams: SearchParams }) {
  const search = await parseSearch(searchParams);
  if (search.interaction !== undefined) return <InteractionSignIn interaction={search.interaction} />;
  return <DirectSignIn returnTo={safeReturnTo(search.return_to)} force={search.force === "1"} />;
}

/**
 * Whether the page offers "Create an account": self-registration is switched on for the tenant
 * (lib/tenancy/tenant-settings.ts).
 */
async function registrationOpen(): Promise<boolean> {
  const container = await getContainer();
  return (await container.tenantSettings.get()).registrationEnabled;
}

function formLabels(t: Translator) {
  return {
    email: t("email"),
    password: t("password"),
    submit: t("submit"),
    submitting: t("submitting"),
    invalidCredentials: t("invalidCredentials"),
    expired: t("expired"),
    unavailable: t("unavailable"),
    forgotPassword: t("forgotPassword"),
  };
}

function CreateAccountLink({ t }: { t: Translator }) {
  return (
    <p className="mt-4 text-center text-sm text-fg-muted">
      {t("noAccount")}{" "}
      <Link href={pagePaths.register} className={linkClass}>
        {t("createAccount")}
      </Link>
    </p>
  );
}

async function InteractionSignIn({ interaction }: { interaction: string | string[] }) {
  const [view, registration] = await Promise.all([loadInteraction(interaction), registrationOpen()]);
  // OIDC Core §3.1.2.1 ui_locales: the request's language preference wins for this card.
  const locale = await requestInteractionLocale(view);
  const t = await signInTranslator(locale);
  if (!view) {
    return (
      <div lang={locale}>
        <CenteredCard icon={LoginIcon} title={t("title")} lead={t("expiredTitle")}>
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
        <ClientIdentity
          client={view.client}
          labels={{
            region: t("requestingApp"),
            logoAlt: t("clientLogo", { client: view.client.name }),
            links: t("clientLinks", { client: view.client.name }),
            policy: t("privacyPolicy"),
            terms: t("terms"),
          }}
        />
        {view.userEmail ? (
          // Signed in already, and the request needs a new sign-in (prompt=login or select_account,
          // max_age, id_token_hint of another user: OIDC Core §3.1.2.1).
          <Notice icon={UserIcon} title={t("reauthTitle")}>
            {t("reauth", { email: view.userEmail, client: view.client.name })}
          </Notice>
        ) : null}
        <LoginForm
          action={signIn}
          hidden={{ interaction: view.id }}
          // OIDC Core §3.1.2.1 login_hint (an email), else the signed-in user's email when signing in again.
          defaultEmail={view.loginEmail}
          labels={formLabels(t)}
          forgotPasswordHref={pagePaths.forgotPassword}
        />
        {registration ? <CreateAccountLink t={t} /> : null}
        <p className="mt-6 border-t border-border pt-5 text-sm leading-relaxed text-fg-muted">{t("privacyNote", { client: view.client.name })}</p>
      </CenteredCard>
    </div>
  );
}

async function DirectSignIn({ returnTo, force }: { returnTo: string; force: boolean }) {
  const [container, cookieStore, t] = await Promise.all([getContainer(), cookies(), getTranslations("SignIn")]);
  const session = await container.sessions.fromCookies(cookieStore);
  const [user, registration] = await Promise.all([session ? container.users.findById(session.userId) : null, registrationOpen()]);
  if (user && !force) {
    return (
      <CenteredCard icon={UserIcon} title={t("signedInTitle")} lead={t("signedInLead", { email: user.email })}>
        <div className="mt-6 space-y-3">
          {/* A plain link: return_to may be any path on this site, not only a page. */}
          <a href={returnTo} className={primaryButtonClass}>
            {returnTo === DEFAULT_RETURN_TO ? t("continueToAccount") : t("continue")}
            <ArrowRightIcon className="size-4" />
          </a>
          <Link href={signInUrl(returnTo, { force: true })} className={secondaryButtonClass}>
            {t("switchAccount")}
          </Link>
        </div>
        <BackHomeLink label={t("backHome")} />
      </CenteredCard>
    );
  }
  return (
    <CenteredCard icon={LoginIcon} title={t("title")} lead={t("lead")}>
      {user ? (
        <Notice icon={UserIcon} title={t("switchTitle", { email: user.email })}>
          {t("switchNotice", { email: user.email })}
        </Notice>
      ) : null}
      <LoginForm action={signInDirect} hidden={{ return_to: returnTo }} labels={formLabels(t)} forgotPasswordHref={pagePaths.forgotPassword} />
      {registration ? (
        <CardFooterLink>
          <p className="text-center text-fg-muted">
            {t("noAccount")}{" "}
            <Link href={pagePaths.register} className={linkClass}>
              {t("createAccount")}
            </Link>
          </p>
        </CardFooterLink>
      ) : (
        <BackHomeLink label={t("backHome")} />
      )}
    </CenteredCard>
  );
}
