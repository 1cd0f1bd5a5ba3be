import type { Metadata } from "next";
import Link from "next/link";
import { getFormatter, getTranslations } from "next-intl/server";
import type { ComponentType, SVGProps } from "react";
import { AppsIcon, ArrowRightIcon, DevicesIcon, KeyIcon, ShieldIcon, UserIcon } from "@/components/ui/icons";
import { accountPaths, requireAccount, userTimeZone } from "./account-context";
import { Badge, IconTile, PageHeading } from "./ui";
import { pagePaths } from "@/lib/protocol/paths";

export const dynamic = "force-dynamic";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("AccountPage");
  return { title: t("metaTitle") };
}

interface Tile {
  key: string;
  href: string;
  icon: ComponentType<SVGProps<SVGSVGElement>>;
  title: string;
  text: string;
  action: string;
}

/** The account overview: the email address, and one tile per section with what it holds. */
export default async function AccountOverviewPage() {
  const { container, user } = await requireAccount(accountPaths.overview);
  const [t, format, sessions, applications] = await Promise.all([
    getTranslations("AccountPage"),
    getFormatter(),
    container.account.countActiveSessions(user.id),
    container.account.countApplications(user.id),
  ]);
  const zone = userTimeZone(user);
  const tiles: Tile[] = [
    { key: "profile", href: accountPaths.profile, icon: UserIcon, title: t("overview.profileTitle"), text: t("overview.profileText"), action: t("overview.profileAction") },
    {
      key: "password",
      href: accountPaths.password,
      icon: KeyIcon,
      title: t("overview.passwordTitle"),
      text: user.passwordChangedAt
        ? t("overview.passwordChanged", { when: format.dateTime(user.passwordChangedAt, "date", zone) })
        : t("overview.passwordNever"),
      action: t("overview.passwordAction"),
    },
    { key: "sessions", href: accountPaths.sessions, icon: DevicesIcon, title: t("overview.sessionsTitle"), text: t("overview.sessionsText", { count: sessions }), action: t("overview.sessionsAction") },
    {
      key: "applications",
      href: accountPaths.applications,
      icon: AppsIcon,
      title: t("overview.applicationsTitle"),
      text: t("overview.applicationsText", { count: applications }),
      action: t("overview.applicationsAction"),
    },
    { key: "privacy", href: pagePaths.privacy, icon: ShieldIcon, title: t("overview.privacyTitle"), text: t("overview.privacyText"), action: t("overview.privacyAction") },
  ];

  return (
    <>
      <PageHeading title={t("title")} lead={t("lead")} />
      <dl className="mt-6 flex flex-wrap items-center gap-x-3 gap-y-1 rounded-xl border border-border bg-surface px-4 py-3 text-sm">
        <dt className="font-medium text-fg-muted">{t("emailLabel")}</dt>
        <dd className="flex min-w-0 flex-wrap items-center gap-2">
          <span className="truncate font-medium text-fg">{user.email}</span>
          {user.emailVerified ? <Badge tone="success">{t("emailVerified")}</Badge> : <Badge tone="warning">{t("emailUnverified")}</Badge>}
          {user.emailVerified ? null : (
            // The verification page offers a new confirmation link to a signed-in user.
            <Link href={pagePaths.verifyEmail} className="font-medium text-accent hover:text-accent-hover hover:underline">
              {t("confirmEmail")}
            </Link>
          )}
        </dd>
      </dl>
      <ul className="mt-6 grid gap-4 sm:grid-cols-2">
        {tiles.map((tile) => (
          <li key={tile.key} className={tile.key === "privacy" ? "sm:col-span-2" : undefined}>
            <Link
              href={tile.href}
              className="group flex h-full gap-4 rounded-2xl border border-border bg-surface p-5 shadow-sm transition-colors hover:border-border-strong hover:bg-surface-muted"
            >
              <IconTile icon={tile.icon} />
              <span className="flex min-w-0 flex-1 flex-col">
                <span className="font-semibold text-fg">{tile.title}</span>
                <span className="mt-1 text-sm leading-relaxed text-fg-muted">{tile.text}</span>
                <span className="mt-3 inline-flex items-center gap-1.5 text-sm font-medium text-accent group-hover:text-accent-hover group-hover:underline">
                  {tile.action}
                  <ArrowRightIcon className="size-4 transition-transform group-hover:translate-x-0.5" />
                </span>
              </span>
            </Link>
          </li>
        ))}
      </ul>
    </>
  );
}
