/**
 * What a browser keeps between requests in the browser-less tests: the cookies its responses set
 * (RFC 6265 §5.2, simplified: one host, no expiry other than Max-Age=0), sent back as a Cookie header.
 */
export class Browser {
  /** Cookie values, decoded. */
  readonly cookies = new Map<string, string>();

  /** Takes the Set-Cookie headers of a response (returned for chaining) or a list of Set-Cookie values. */
  absorb(response: Response): Response;
  absorb(setCookies: string[]): void;
  absorb(from: Response | string[]): Response | void {
    for (const line of Array.isArray(from) ? from : from.headers.getSetCookie()) {
      const pair = line.split(";", 1)[0]!;
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      if (/;\s*max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, decodeURIComponent(pair.slice(eq + 1)));
    }
    return Array.isArray(from) ? undefined : from;
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  /** The Cookie header to send, or undefined without cookies. */
  header(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("; ");
  }

  /** The interaction binding cookie set by the authorization endpoint. */
  get binding(): string | undefined {
    return this.cookies.get("authly_interaction");
  }
}
