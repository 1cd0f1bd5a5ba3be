import type { Metadata } from "next";
import { getFormatter, getTranslations } from "next-intl/server";
import { GENDER_CUSTOM_FIELD, genderFormValues, profileFieldNames, profileFields, timeZoneNames } from "@/lib/account/profile";
import { accountPaths, requireAccount, userTimeZone } from "../account-context";
import { saveProfile } from "../actions";
import { PageHeading } from "../ui";
import { ProfileForm } from "./profile-form";

export const dynamic = "force-dynamic";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("Profile");
  return { title: t("metaTitle") };
}

/** The profile: the OpenID Connect standard claims the user may edit (OIDC Core §5.1). */
export default async function ProfilePage() {
  const { user } = await requireAccount(accountPaths.profile);
  const [t, format] = await Promise.all([getTranslations("Profile"), getFormatter()]);

  const initial: Record<string, string> = {};
  for (const field of profileFieldNames) initial[field] = user[profileFields[field].column] ?? "";
  const gender = genderFormValues(user.gender);
  initial.gender = gender.choice;
  initial[GENDER_CUSTOM_FIELD] = gender.custom;
  const limits = Object.fromEntries(profileFieldNames.map((field) => [field, profileFields[field].max]));
  limits[GENDER_CUSTOM_FIELD] = profileFields.gender.max;
  // A stored zone this runtime does not list stays selectable, so saving does not lose it silently.
  const zones = timeZoneNames();
  if (user.zoneinfo && !zones.includes(user.zoneinfo)) zones.unshift(user.zoneinfo);

  return (
    <>
      <PageHeading title={t("title")} lead={t("lead")}>
        <p className="mt-1 text-sm text-fg-muted">
          {t("lastUpdated", { when: format.dateTime(user.updatedAt, "dateTime", userTimeZone(user)) })}
        </p>
      </PageHeading>
      <ProfileForm
        action={saveProfile}
        initial={initial}
        limits={limits}
        timeZones={zones}
        email={user.email}
        emailVerified={user.emailVerified}
        phoneVerified={user.phoneNumber ? user.phoneNumberVerified : null}
      />
    </>
  );
}
