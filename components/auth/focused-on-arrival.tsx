"use client";

import { useEffect, useRef, type ReactNode } from "react";

/**
 * Content that replaces a form after it was sent (e.g. "Check your mail"): focused when it
 * appears, so keyboard and screen-reader users land on the new card and hear it.
 */
export function FocusedOnArrival({ children }: { children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <div ref={ref} tabIndex={-1} className="outline-none">
      {children}
    </div>
  );
}
