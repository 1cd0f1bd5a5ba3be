import { NextIntlClientProvider } from "next-intl";
import { getMessages, getTranslations } from "next-intl/server";
import type { ReactNode } from "react";
import { accountPaths, loadAccount } from "./account-context";
import { AccountNav, type AccountNavItem } from "./account-nav";
import { signOut } from "./actions";
import { LogoutIcon } from "@/components/ui/icons";
import { Avatar, secondaryButtonClass } from "./ui";
import { pagePaths } from "@/lib/protocol/paths";

export const dynamic = "force-dynamic";

/**
 * The frame of the account pages: who is signed in, "Sign out", and the section navigation.
 * Signed out, it renders the page alone (each page sends the browser to the sign-in page itself,
 * with its own path to come back to).
 */
export default async function AccountLayout({ children }: { children: ReactNode }) {
  const [account, t, messages] = await Promise.all([loadAccount(), getTranslations("AccountPage"), getMessages()]);
  if (!account) return children;
  const { user } = account;
  const items: AccountNavItem[] = [
    { key: "overview", href: accountPaths.overview, label: t("nav.overview") },
    { key: "profile", href: accountPaths.profile, label: t("nav.profile") },
    { key: "password", href: accountPaths.password, label: t("nav.password") },
    { key: "sessions", href: accountPaths.sessions, label: t("nav.sessions") },
    { key: "applications", href: accountPaths.applications, label: t("nav.applications") },
    { key: "privacy", href: pagePaths.privacy, label: t("nav.privacy"), external: true },
  ];
  return (
    // Client forms (profile, password) only get the messages they use.
    <NextIntlClientProvider messages={{ Profile: messages.Profile, ChangePassword: messages.ChangePassword }}>
      <div className="mx-auto w-full max-w-5xl px-4 py-8 sm:px-6 sm:py-12">
        <div className="flex flex-wrap items-center justify-between gap-4 border-b border-border pb-6">
          <div className="flex min-w-0 items-center gap-3">
            <Avatar name={user.name} email={user.email} picture={user.picture} alt={t("pictureAlt")} />
            <div className="min-w-0">
              <p className="truncate font-semibold text-fg">{user.name ?? user.email}</p>
              <p className="truncate text-sm text-fg-muted">{t("signedInAs", { email: user.email })}</p>
            </div>
          </div>
          <form action={signOut} data-testid="account-sign-out">
            <button type="submit" className={secondaryButtonClass}>
              <LogoutIcon className="size-4" />
              {t("signOut")}
            </button>
          </form>
        </div>
        <div className="mt-6 grid gap-6 lg:mt-8 lg:grid-cols-[13rem_minmax(0,1fr)] lg:gap-10">
          <AccountNav items={items} label={t("navLabel")} />
          <div className="min-w-0">{children}</div>
        </div>
      </div>
    </NextIntlClientProvider>
  );
}
