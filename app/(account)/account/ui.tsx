import type { ComponentType, ReactNode, Ref, SVGProps } from "react";
import { AlertIcon, CheckIcon } from "@/components/ui/icons";

/**
 * Building blocks of the account pages, in the style of the sign-in card (components/ui and
 * app/(auth)/login/login-form.tsx). Plain server components; the forms that need client state
 * import the class names.
 */

export const inputClass =
  "mt-1.5 block w-full rounded-lg border border-border-strong bg-surface px-3 py-2.5 text-fg shadow-xs outline-none transition-colors placeholder:text-fg-muted focus:border-accent focus:ring-2 focus:ring-accent/25 aria-invalid:border-red-500 disabled:bg-surface-muted";

export const primaryButtonClass =
  "inline-flex items-center justify-center gap-2 rounded-lg bg-accent px-4 py-2.5 text-sm font-semibold text-accent-fg shadow-sm transition-colors hover:bg-accent-hover disabled:cursor-wait disabled:opacity-70";

export const secondaryButtonClass =
  "inline-flex items-center justify-center gap-2 rounded-lg border border-border-strong bg-surface px-4 py-2.5 text-sm font-semibold text-fg shadow-xs transition-colors hover:bg-surface-muted";

export const dangerButtonClass =
  "inline-flex items-center justify-center gap-2 rounded-lg bg-red-700 px-4 py-2.5 text-sm font-semibold text-white shadow-sm transition-colors hover:bg-red-800 dark:bg-red-500 dark:text-red-950 dark:hover:bg-red-400";

/** A quieter destructive button (opens a confirmation). */
export const dangerOutlineButtonClass =
  "inline-flex cursor-pointer list-none items-center justify-center gap-2 rounded-lg border border-red-300 bg-surface px-3.5 py-2 text-sm font-semibold text-red-700 shadow-xs transition-colors hover:bg-red-50 dark:border-red-900 dark:text-red-300 dark:hover:bg-red-950/40 [&::-webkit-details-marker]:hidden";

export const labelClass = "block text-sm font-medium text-fg";
export const hintClass = "mt-1 text-sm leading-relaxed text-fg-muted";
export const fieldErrorClass = "mt-1.5 text-sm font-medium text-red-700 dark:text-red-300";

/** The page's title and introduction. */
export function PageHeading({ title, lead, children }: { title: string; lead: string; children?: ReactNode }) {
  return (
    <div>
      <h1 className="text-2xl font-bold tracking-tight text-fg sm:text-3xl">{title}</h1>
      <p className="mt-2 max-w-2xl leading-relaxed text-fg-muted">{lead}</p>
      {children}
    </div>
  );
}

/** One card of content. */
export function Card({ children, className = "", labelledBy }: { children: ReactNode; className?: string; labelledBy?: string }) {
  return (
    <section aria-labelledby={labelledBy} className={`rounded-2xl border border-border bg-surface p-5 shadow-sm sm:p-6 ${className}`}>
      {children}
    </section>
  );
}

/** A confirmation that something worked (announced politely). */
export function SuccessNotice({ children, className = "mt-6" }: { children: ReactNode; className?: string }) {
  return (
    <div
      role="status"
      className={`${className} flex gap-3 rounded-xl border border-emerald-300 bg-emerald-50 px-4 py-3 text-sm font-medium text-emerald-900 dark:border-emerald-900 dark:bg-emerald-950/40 dark:text-emerald-200`}
    >
      <CheckIcon className="mt-0.5 size-4.5 shrink-0" />
      <div>{children}</div>
    </div>
  );
}

/** A problem the user has to act on (announced at once). */
export function ErrorNotice({ id, ref, children, className = "mt-6" }: { id?: string; ref?: Ref<HTMLDivElement>; children: ReactNode; className?: string }) {
  return (
    <div
      id={id}
      ref={ref}
      // Focusable from script only (the forms move focus here after a refused submission).
      tabIndex={ref ? -1 : undefined}
      role="alert"
      className={`${className} flex gap-3 rounded-xl border border-red-300 bg-red-50 px-4 py-3 text-sm font-medium text-red-800 dark:border-red-900 dark:bg-red-950/40 dark:text-red-200`}
    >
      <AlertIcon className="mt-0.5 size-4.5 shrink-0" />
      <div>{children}</div>
    </div>
  );
}

/** A small pill: "Verified", "This device". */
export function Badge({ tone = "neutral", children }: { tone?: "neutral" | "success" | "accent" | "warning"; children: ReactNode }) {
  const tones = {
    neutral: "bg-surface-muted text-fg-muted",
    success: "bg-emerald-100 text-emerald-800 dark:bg-emerald-950/60 dark:text-emerald-300",
    accent: "bg-accent-soft text-accent-soft-fg",
    warning: "bg-amber-100 text-amber-900 dark:bg-amber-950/60 dark:text-amber-200",
  };
  return <span className={`inline-flex items-center rounded-md px-1.5 py-0.5 text-xs font-semibold ${tones[tone]}`}>{children}</span>;
}

/** An icon in a soft square, as on the sign-in card. */
export function IconTile({ icon: Icon, className = "" }: { icon: ComponentType<SVGProps<SVGSVGElement>>; className?: string }) {
  return (
    <span aria-hidden="true" className={`flex size-10 shrink-0 items-center justify-center rounded-xl bg-accent-soft text-accent-soft-fg ${className}`}>
      <Icon className="size-5" />
    </span>
  );
}

/** Only https pictures are shown (the page's CSP allows https images; http would be mixed content). */
export function httpsUrl(value: string | null | undefined): string | null {
  if (!value) return null;
  const url = URL.parse(value);
  return url && url.protocol === "https:" ? url.href : null;
}

/** The user's picture claim, or their initials. */
export function Avatar({ name, email, picture, alt, size = "md" }: { name: string | null; email: string; picture: string | null; alt: string; size?: "md" | "lg" }) {
  const dimension = size === "lg" ? "size-14 text-lg" : "size-11 text-base";
  const src = httpsUrl(picture);
  if (src) {
    // eslint-disable-next-line @next/next/no-img-element -- a remote picture of any size; no image optimizer for foreign hosts
    return <img src={src} alt={alt} referrerPolicy="no-referrer" className={`${dimension} shrink-0 overflow-hidden rounded-full bg-surface-muted object-cover text-[0px]`} />;
  }
  const source = (name ?? "").trim() || email;
  const initials = source
    .split(/[\s@._-]+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((part) => part[0]!.toLocaleUpperCase())
    .join("");
  return (
    <span aria-hidden="true" className={`${dimension} flex shrink-0 items-center justify-center rounded-full bg-accent-soft font-semibold text-accent-soft-fg`}>
      {initials || "?"}
    </span>
  );
}
