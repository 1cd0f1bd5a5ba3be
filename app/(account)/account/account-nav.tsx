"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect, useRef } from "react";
import { AppsIcon, DevicesIcon, HomeIcon, KeyIcon, ShieldIcon, UserIcon } from "@/components/ui/icons";

const icons = { overview: HomeIcon, profile: UserIcon, password: KeyIcon, sessions: DevicesIcon, applications: AppsIcon, privacy: ShieldIcon };

export interface AccountNavItem {
  key: keyof typeof icons;
  href: string;
  label: string;
  /** Leaves the account pages (the privacy dashboard): set apart from the others. */
  external?: boolean;
}

/**
 * The account pages' navigation: a column beside the content on wide screens, a row that scrolls
 * sideways on a phone. The current page is marked with aria-current (a client component only for
 * that: it needs the current path).
 */
export function AccountNav({ items, label }: { items: AccountNavItem[]; label: string }) {
  const pathname = usePathname();
  const currentLink = useRef<HTMLAnchorElement>(null);
  // On a phone the row scrolls sideways: keep the current page's entry in view.
  useEffect(() => {
    currentLink.current?.scrollIntoView({ block: "nearest", inline: "nearest" });
  }, [pathname]);
  return (
    <nav aria-label={label} className="-mx-4 overflow-x-auto px-4 sm:mx-0 sm:px-0">
      <ul className="flex gap-1 lg:flex-col">
        {items.map(({ key, href, label: text, external }) => {
          const Icon = icons[key];
          const current = pathname === href;
          return (
            <li key={key} className={external ? "lg:mt-3 lg:border-t lg:border-border lg:pt-3" : undefined}>
              <Link
                href={href}
                ref={current ? currentLink : undefined}
                aria-current={current ? "page" : undefined}
                className={`flex items-center gap-2.5 whitespace-nowrap rounded-lg lg:whitespace-normal px-3 py-2 text-sm font-medium transition-colors ${
                  current ? "bg-accent-soft text-accent-soft-fg" : "text-fg-muted hover:bg-surface-muted hover:text-fg"
                }`}
              >
                <Icon className="size-4.5 shrink-0" />
                {text}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
