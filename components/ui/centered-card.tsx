import Link from "next/link";
import type { ComponentType, ReactNode, SVGProps } from "react";
import { ArrowLeftIcon } from "./icons";

interface CenteredCardProps {
  icon: ComponentType<SVGProps<SVGSVGElement>>;
  /** Small line above the title (e.g. "Error 404"). */
  eyebrow?: string;
  title: string;
  lead: string;
  children?: ReactNode;
  width?: "md" | "lg";
}

/** The sign-in-card layout shared by /login, /account and error pages. */
export function CenteredCard({ icon: Icon, eyebrow, title, lead, children, width = "md" }: CenteredCardProps) {
  return (
    <div className="flex justify-center px-4 py-12 sm:py-20">
      <div
        className={`w-full ${width === "lg" ? "max-w-lg" : "max-w-md"} rounded-2xl border border-border bg-surface p-6 shadow-sm sm:p-8`}
      >
        <span className="flex size-12 items-center justify-center rounded-2xl bg-accent-soft text-accent-soft-fg">
          <Icon className="size-6" />
        </span>
        {eyebrow ? <p className="mt-6 text-sm font-semibold text-accent-soft-fg">{eyebrow}</p> : null}
        <h1 className={`${eyebrow ? "mt-1" : "mt-6"} text-2xl font-bold tracking-tight text-fg`}>{title}</h1>
        <p className="mt-2 leading-relaxed text-fg-muted">{lead}</p>
        {children}
      </div>
    </div>
  );
}

/** An informational notice inside a card. */
export function Notice({ icon: Icon, title, children }: { icon: CenteredCardProps["icon"]; title: string; children: ReactNode }) {
  return (
    <div className="mt-6 flex gap-3 rounded-xl border border-info-border bg-info-soft p-4 text-info-fg">
      <Icon className="mt-0.5 size-5 shrink-0" />
      <div className="text-sm leading-relaxed">
        <p className="font-semibold">{title}</p>
        <p className="mt-1">{children}</p>
      </div>
    </div>
  );
}

/** A quiet "back" link at the bottom of a card. */
export function CardFooterLink({ children }: { children: ReactNode }) {
  return <div className="mt-8 border-t border-border pt-5 text-sm">{children}</div>;
}

/** The card footer's way back to the start page. */
export function BackHomeLink({ label }: { label: string }) {
  return (
    <CardFooterLink>
      <Link href="/" className="inline-flex items-center gap-1.5 rounded-md font-medium text-accent hover:text-accent-hover hover:underline">
        <ArrowLeftIcon className="size-4" />
        {label}
      </Link>
    </CardFooterLink>
  );
}
