import type { Metadata } from "next";
import { getFormatter, getTranslations } from "next-intl/server";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "@/lib/identity/user-service";
import { accountPaths, requireAccount, userTimeZone } from "../account-context";
import { changePassword } from "../actions";
import { PageHeading } from "../ui";
import { PasswordForm } from "./password-form";

export const dynamic = "force-dynamic";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("ChangePassword");
  return { title: t("metaTitle") };
}

/** Change password: the current one, the new one twice, and whether to sign out the other sessions. */
export default async function PasswordPage() {
  const { user } = await requireAccount(accountPaths.password);
  const [t, format] = await Promise.all([getTranslations("ChangePassword"), getFormatter()]);
  return (
    <>
      <PageHeading title={t("title")} lead={t("lead")}>
        {user.passwordChangedAt ? (
          <p className="mt-1 text-sm text-fg-muted">{t("lastChanged", { when: format.dateTime(user.passwordChangedAt, "dateTime", userTimeZone(user)) })}</p>
        ) : null}
      </PageHeading>
      <PasswordForm action={changePassword} minLength={MIN_PASSWORD_LENGTH} maxLength={MAX_PASSWORD_LENGTH} email={user.email} />
    </>
  );
}
