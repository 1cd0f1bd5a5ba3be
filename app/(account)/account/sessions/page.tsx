import type { Metadata } from "next";
import { getFormatter, getTranslations } from "next-intl/server";
import type { DeviceDescription } from "@/lib/account/user-agent";
import { accountPaths, requireAccount, userTimeZone } from "../account-context";
import { endAllSessions, endSession } from "../actions";
import { LogoutIcon, MonitorIcon, PhoneIcon, TabletIcon } from "@/components/ui/icons";
import { Badge, Card, IconTile, PageHeading, SuccessNotice, dangerButtonClass, dangerOutlineButtonClass, secondaryButtonClass } from "../ui";

export const dynamic = "force-dynamic";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("Sessions");
  return { title: t("metaTitle") };
}

type SearchParams = Promise<{ done?: string | string[] }>;

const deviceIcons = { desktop: MonitorIcon, unknown: MonitorIcon, mobile: PhoneIcon, tablet: TabletIcon };

/**
 * The browsers where the user is signed in (sessions that have not ended, within their absolute
 * and idle lifetime), each with "Sign out", and "Sign out everywhere".
 */
export default async function SessionsPage({ searchParams }: { searchParams: SearchParams }) {
  const { container, session, user } = await requireAccount(accountPaths.sessions);
  const [{ done }, t, format, sessions] = await Promise.all([
    searchParams,
    getTranslations("Sessions"),
    getFormatter(),
    container.account.activeSessions(user.id, session.id),
  ]);
  const zone = userTimeZone(user);
  const describe = ({ browser, os }: DeviceDescription) =>
    browser && os ? t("device", { browser, os }) : (browser ?? (os ? t("deviceOs", { os }) : t("unknownDevice")));
  const when = (date: Date) => (
    <time dateTime={date.toISOString()} title={format.dateTime(date, "dateTime", zone)}>
      {format.relativeTime(date)}
    </time>
  );

  return (
    <>
      <PageHeading title={t("title")} lead={t("lead")} />
      {done === "ended" ? <SuccessNotice>{t("done.ended")}</SuccessNotice> : null}
      {done === "not_found" ? <SuccessNotice>{t("done.notFound")}</SuccessNotice> : null}

      <ul className="mt-6 space-y-3" aria-label={t("listLabel")} data-testid="session-list">
        {sessions.map((entry) => {
          const device = describe(entry.device);
          return (
            <li key={entry.id} className="rounded-2xl border border-border bg-surface p-4 shadow-sm sm:p-5">
              <div className="flex flex-col gap-4 sm:flex-row sm:items-start">
                <IconTile icon={deviceIcons[entry.device.kind]} />
                <div className="min-w-0 flex-1">
                  <p className="flex flex-wrap items-center gap-2 font-semibold text-fg">
                    {device}
                    {entry.current ? <Badge tone="accent">{t("thisDevice")}</Badge> : null}
                  </p>
                  <dl className="mt-2 grid gap-x-6 gap-y-1 text-sm sm:grid-cols-[auto_1fr]">
                    <dt className="text-fg-muted">{t("lastSeen")}</dt>
                    <dd className="text-fg">{entry.current ? t("now") : when(entry.lastSeenAt)}</dd>
                    <dt className="text-fg-muted">{t("signedIn")}</dt>
                    <dd className="text-fg">{format.dateTime(entry.signedInAt, "dateTime", zone)}</dd>
                    <dt className="text-fg-muted">{t("ipAddress")}</dt>
                    <dd className="font-mono text-fg">{entry.ipAddress ?? <span className="font-sans text-fg-muted">{t("ipUnknown")}</span>}</dd>
                  </dl>
                </div>
                <form action={endSession} className="sm:self-center">
                  <input type="hidden" name="session" value={entry.id} />
                  {/* The accessible name says which device (WCAG 2.5.3: it starts with the visible text). */}
                  <button type="submit" aria-label={t("signOutDevice", { device })} className={`${secondaryButtonClass} w-full sm:w-auto`}>
                    <LogoutIcon className="size-4" />
                    {t("signOut")}
                  </button>
                </form>
              </div>
            </li>
          );
        })}
      </ul>

      <Card className="mt-8" labelledBy="sign-out-everywhere">
        <h2 id="sign-out-everywhere" className="text-base font-semibold text-fg">
          {t("everywhereTitle")}
        </h2>
        <p className="mt-1 text-sm leading-relaxed text-fg-muted">{t("everywhereText")}</p>
        {/* A second, deliberate click: the confirmation opens first (works without JavaScript). */}
        <details className="group mt-4">
          <summary className={dangerOutlineButtonClass}>{t("everywhereTitle")}</summary>
          <div className="mt-3 rounded-xl border border-red-200 bg-red-50/60 p-4 dark:border-red-900/70 dark:bg-red-950/30">
            <p className="text-sm leading-relaxed text-fg">{t("everywhereConfirmText", { count: sessions.length })}</p>
            <form action={endAllSessions} className="mt-3">
              <button type="submit" className={dangerButtonClass}>
                <LogoutIcon className="size-4" />
                {t("everywhereConfirm")}
              </button>
            </form>
          </div>
        </details>
      </Card>
    </>
  );
}
