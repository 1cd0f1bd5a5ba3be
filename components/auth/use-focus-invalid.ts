"use client";

import { useEffect, useRef } from "react";

/**
 * After a submission comes back with errors, moves the keyboard focus to the first invalid field
 * (WCAG 2.1 §3.3.1: errors are identified; the user need not search for them). `state` is the
 * action state: a new object after every submission.
 */
export function useFocusFirstInvalid<T>(state: T) {
  const formRef = useRef<HTMLFormElement>(null);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    formRef.current?.querySelector<HTMLInputElement>('[aria-invalid="true"]')?.focus();
  }, [state]);
  return formRef;
}
