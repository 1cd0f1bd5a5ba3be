/** Authly's mark: a shield with a keyhole. Decorative: the wordmark next to it carries the name. */
export function LogoMark({ className }: { className?: string }) {
  return (
    <svg viewBox="0 0 32 32" className={className} aria-hidden="true" focusable="false">
      <defs>
        <linearGradient id="authly-mark-bg" x1="0" y1="0" x2="32" y2="32" gradientUnits="userSpaceOnUse">
          <stop offset="0" stopColor="#6366f1" />
          <stop offset="1" stopColor="#4338ca" />
        </linearGradient>
      </defs>
      <rect width="32" height="32" rx="8" fill="url(#authly-mark-bg)" />
      <path
        d="M16 5.5 24.5 8.7v6.1c0 5.4-3.5 9.9-8.5 11.7-5-1.8-8.5-6.3-8.5-11.7V8.7L16 5.5Z"
        fill="#fff"
      />
      <circle cx="16" cy="13.6" r="2.6" fill="#4338ca" />
      <path d="M14.9 15.4h2.2l.7 5h-3.6l.7-5Z" fill="#4338ca" />
    </svg>
  );
}
