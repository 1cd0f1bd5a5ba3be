"use client";

import { useTranslations } from "next-intl";
import { useActionState, useEffect, useRef, type ReactNode } from "react";
import type { ProfileErrorCode, ProfileErrors } from "@/lib/account/profile";
import type { ProfileState } from "../actions";
import { Badge, ErrorNotice, SuccessNotice, fieldErrorClass, hintClass, inputClass, labelClass, primaryButtonClass } from "../ui";

type FieldName = keyof ProfileErrors;
/** The fields with an explanation under them (Profile.hints in the catalogs). */
type HintedField = "name" | "preferred_username" | "gender_custom" | "birthdate" | "locale" | "phone_number" | "profile" | "picture" | "website" | "address_formatted";

interface ProfileFormProps {
  action: (previous: ProfileState, formData: FormData) => Promise<ProfileState>;
  /** The stored values, as form values ("" when unset). */
  initial: Record<string, string>;
  /** Maximum length per field (lib/account/profile.ts). */
  limits: Record<string, number>;
  timeZones: string[];
  email: string;
  emailVerified: boolean;
  /** null when there is no phone number. */
  phoneVerified: boolean | null;
}

interface FieldSpec {
  name: FieldName;
  autoComplete?: string;
  type?: "text" | "url" | "tel";
  inputMode?: "text" | "url" | "tel" | "numeric";
  multiline?: boolean;
  hint?: boolean;
  /** Shows the expected format (only the birthdate has one). */
  placeholder?: boolean;
  /** Narrow fields share a row on wide screens. */
  half?: boolean;
}

const nameFields: FieldSpec[] = [
  { name: "name", autoComplete: "name", hint: true },
  { name: "given_name", autoComplete: "given-name", half: true },
  { name: "family_name", autoComplete: "family-name", half: true },
  { name: "middle_name", autoComplete: "additional-name", half: true },
  { name: "nickname", autoComplete: "nickname", half: true },
  { name: "preferred_username", autoComplete: "off", hint: true },
];
const linkFields: FieldSpec[] = [
  { name: "profile", type: "url", inputMode: "url", autoComplete: "url", hint: true },
  { name: "picture", type: "url", inputMode: "url", autoComplete: "photo", hint: true },
  { name: "website", type: "url", inputMode: "url", autoComplete: "url", hint: true },
];
const addressFields: FieldSpec[] = [
  { name: "address_street_address", autoComplete: "street-address", multiline: true },
  { name: "address_postal_code", autoComplete: "postal-code", half: true },
  { name: "address_locality", autoComplete: "address-level2", half: true },
  { name: "address_region", autoComplete: "address-level1", half: true },
  { name: "address_country", autoComplete: "country-name", half: true },
  { name: "address_formatted", autoComplete: "off", multiline: true, hint: true },
];

/**
 * The profile form. A plain server-action form (works without JavaScript); errors come back per
 * field, are listed in an alert above the form and linked to their fields with aria-describedby.
 */
export function ProfileForm({ action, initial, limits, timeZones, email, emailVerified, phoneVerified }: ProfileFormProps) {
  const t = useTranslations("Profile");
  const [state, formAction, pending] = useActionState(action, {});
  const errors = state.errors ?? {};
  const errorCount = Object.keys(errors).length;
  const summary = useRef<HTMLDivElement>(null);
  // After a refused save, bring the list of problems into view (the Save button is far below).
  useEffect(() => {
    if (state.status === "invalid") summary.current?.focus();
  }, [state]);
  const value = (name: string) => state.values?.[name] ?? initial[name] ?? "";
  const errorText = (code: ProfileErrorCode, name: FieldName) => t(`errors.${code}`, { max: limits[name] ?? 0 });

  const describedBy = (name: FieldName, hint: boolean) =>
    [hint ? `profile-${name}-hint` : null, errors[name] ? `profile-${name}-error` : null].filter(Boolean).join(" ") || undefined;

  const field = (spec: FieldSpec, extra?: ReactNode) => {
    const id = `profile-${spec.name}`;
    const common = {
      id,
      name: spec.name,
      defaultValue: value(spec.name),
      maxLength: limits[spec.name],
      autoComplete: spec.autoComplete,
      "aria-invalid": errors[spec.name] ? true : undefined,
      "aria-describedby": describedBy(spec.name, spec.hint ?? false),
      className: inputClass,
    };
    return (
      <div key={spec.name} className={spec.half ? "" : "sm:col-span-2"}>
        <label htmlFor={id} className={`${labelClass} flex flex-wrap items-center gap-2`}>
          {t(`fields.${spec.name}`)}
          {extra}
        </label>
        {spec.multiline ? (
          <textarea {...common} rows={3} className={`${inputClass} resize-y`} />
        ) : (
          <input {...common} type={spec.type ?? "text"} inputMode={spec.inputMode} placeholder={spec.placeholder ? t("placeholders.birthdate") : undefined} />
        )}
        {spec.hint ? (
          <p id={`${id}-hint`} className={hintClass}>
            {t(`hints.${spec.name as HintedField}`)}
          </p>
        ) : null}
        {errors[spec.name] ? (
          <p id={`${id}-error`} className={fieldErrorClass}>
            {errorText(errors[spec.name]!, spec.name)}
          </p>
        ) : null}
      </div>
    );
  };

  const select = (name: "gender" | "zoneinfo", options: { value: string; label: string }[], autoComplete: string) => {
    const id = `profile-${name}`;
    return (
      <div>
        <label htmlFor={id} className={labelClass}>
          {t(`fields.${name}`)}
        </label>
        <select
          id={id}
          name={name}
          defaultValue={value(name)}
          autoComplete={autoComplete}
          aria-invalid={errors[name] ? true : undefined}
          aria-describedby={describedBy(name, false)}
          className={inputClass}
        >
          {options.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
        {errors[name] ? (
          <p id={`${id}-error`} className={fieldErrorClass}>
            {errorText(errors[name]!, name)}
          </p>
        ) : null}
      </div>
    );
  };

  return (
    <form action={formAction} noValidate className="mt-6 space-y-6">
      {state.status === "saved" ? <SuccessNotice className="">{t("saved")}</SuccessNotice> : null}
      {state.status === "unchanged" ? <SuccessNotice className="">{t("unchanged")}</SuccessNotice> : null}
      {errorCount > 0 ? (
        <ErrorNotice id="profile-errors" ref={summary} className="">
          <p>{t("errorSummary", { count: errorCount })}</p>
          <ul className="mt-1.5 list-disc space-y-0.5 pl-5 font-normal">
            {(Object.keys(errors) as FieldName[]).map((name) => (
              <li key={name}>
                <a href={`#profile-${name}`} className="underline underline-offset-2 hover:no-underline">
                  {t(`fields.${name}`)}
                </a>
              </li>
            ))}
          </ul>
        </ErrorNotice>
      ) : null}

      <Group legend={t("groups.account")}>
        <div className="sm:col-span-2">
          <label htmlFor="profile-email" className={`${labelClass} flex flex-wrap items-center gap-2`}>
            {t("emailLabel")}
            {emailVerified ? <Badge tone="success">{t("verified")}</Badge> : <Badge tone="warning">{t("unverified")}</Badge>}
          </label>
          <input id="profile-email" type="email" value={email} readOnly aria-describedby="profile-email-hint" className={`${inputClass} bg-surface-muted text-fg-muted`} />
          <p id="profile-email-hint" className={hintClass}>
            {t("emailHint")}
          </p>
        </div>
      </Group>

      <Group legend={t("groups.name")}>{nameFields.map((spec) => field(spec))}</Group>

      <Group legend={t("groups.personal")}>
        {select(
          "gender",
          [
            { value: "", label: t("genderOptions.none") },
            { value: "female", label: t("genderOptions.female") },
            { value: "male", label: t("genderOptions.male") },
            { value: "other", label: t("genderOptions.other") },
          ],
          "sex",
        )}
        {field({ name: "gender_custom", autoComplete: "off", hint: true, half: true })}
        {field({ name: "birthdate", autoComplete: "bday", inputMode: "numeric", hint: true, placeholder: true, half: true })}
      </Group>

      <Group legend={t("groups.region")}>
        {field({ name: "locale", autoComplete: "language", hint: true, half: true })}
        {select("zoneinfo", [{ value: "", label: t("zoneNone") }, ...timeZones.map((zone) => ({ value: zone, label: zone.replaceAll("_", " ") }))], "off")}
      </Group>

      <Group legend={t("groups.contact")}>
        {field(
          { name: "phone_number", type: "tel", inputMode: "tel", autoComplete: "tel", hint: true },
          phoneVerified === null ? null : phoneVerified ? <Badge tone="success">{t("verified")}</Badge> : <Badge tone="warning">{t("unverified")}</Badge>,
        )}
        {linkFields.map((spec) => field(spec))}
      </Group>

      <Group legend={t("groups.address")}>{addressFields.map((spec) => field(spec))}</Group>

      <div className="flex flex-col-reverse items-stretch gap-3 border-t border-border pt-6 sm:flex-row sm:items-center sm:justify-end">
        <button type="submit" disabled={pending} className={primaryButtonClass}>
          {pending ? t("saving") : t("save")}
        </button>
      </div>
    </form>
  );
}

/** A group of fields with its visible legend, in a card. */
function Group({ legend, children }: { legend: string; children: ReactNode }) {
  return (
    <fieldset className="rounded-2xl border border-border bg-surface p-5 shadow-sm sm:p-6">
      <legend className="float-left mb-4 w-full text-base font-semibold text-fg">{legend}</legend>
      <div className="clear-both grid gap-x-4 gap-y-5 sm:grid-cols-2">{children}</div>
    </fieldset>
  );
}
