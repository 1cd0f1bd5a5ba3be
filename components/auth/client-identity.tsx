export interface ClientIdentityProps {
  client: { name: string; logoUri: string | null; policyUri: string | null; tosUri: string | null };
  labels: {
    /** Names the region ("Application asking you to sign in"). */
    region: string;
    logoAlt: string;
    /** Names the list of links ("About {client}"). */
    links: string;
    policy: string;
    terms: string;
  };
}

/** A URL from client metadata that may become a link or an image: only the given schemes, never javascript: or data:. */
function webUrl(value: string | null, schemes: readonly string[] = ["https:", "http:"]): string | null {
  if (!value) return null;
  try {
    return schemes.includes(new URL(value).protocol) ? value : null;
  } catch {
    return null;
  }
}

const linkClass = "rounded-md font-medium text-accent hover:text-accent-hover hover:underline";

/**
 * Which application asks, on the sign-in and consent pages: its logo (or its initial), its name,
 * and links to its privacy policy and terms (client metadata logo_uri, policy_uri, tos_uri:
 * OIDC Registration §2, RFC 7591 §2).
 */
export function ClientIdentity({ client, labels }: ClientIdentityProps) {
  // The page's Content-Security-Policy loads images from https only (lib/security/headers.ts).
  const logo = webUrl(client.logoUri, ["https:"]);
  const policy = webUrl(client.policyUri);
  const terms = webUrl(client.tosUri);
  const initial = [...client.name.trim()][0]?.toUpperCase() ?? "?";
  return (
    <section aria-label={labels.region} data-testid="client-identity" className="mt-6 flex items-center gap-3 rounded-xl border border-border bg-surface-muted p-3">
      {logo ? (
        // A remote image of any size: a plain <img> (next/image would need every host configured).
        // eslint-disable-next-line @next/next/no-img-element
        <img
          src={logo}
          alt={labels.logoAlt}
          width={40}
          height={40}
          loading="lazy"
          referrerPolicy="no-referrer"
          className="size-10 shrink-0 rounded-lg border border-border bg-surface object-contain"
        />
      ) : (
        <span aria-hidden="true" className="flex size-10 shrink-0 items-center justify-center rounded-lg bg-accent-soft text-base font-semibold text-accent-soft-fg">
          {initial}
        </span>
      )}
      <div className="min-w-0">
        <p className="truncate font-semibold text-fg">{client.name}</p>
        {policy || terms ? (
          <ul aria-label={labels.links} className="mt-0.5 flex flex-wrap gap-x-4 gap-y-1 text-sm">
            {policy ? (
              <li>
                <a href={policy} rel="noopener noreferrer" className={linkClass}>
                  {labels.policy}
                </a>
              </li>
            ) : null}
            {terms ? (
              <li>
                <a href={terms} rel="noopener noreferrer" className={linkClass}>
                  {labels.terms}
                </a>
              </li>
            ) : null}
          </ul>
        ) : null}
      </div>
    </section>
  );
}
