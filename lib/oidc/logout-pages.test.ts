import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { OAuthError } from "../oauth/errors";
import { logoutErrorPage, signedOutPage } from "./logout-pages";

const csp = (response: Response) =>
  new Map((response.headers.get("content-security-policy") ?? "").split("; ").map((d) => [d.split(" ")[0]!, d.split(" ").slice(1).join(" ")]));

describe("logout pages", () => {
  it("the redirecting page allows only its own script, by hash, and the iframes' origins", async () => {
    const response = signedOutPage({
      locale: "de",
      frames: [{ clientId: "a", url: "https://a.example.com/fc?x=1&iss=i&sid=s", origin: "https://a.example.com" }],
      redirectTo: "https://rp.example.com/bye?state=a&b",
      wasSignedIn: true,
      unrecognisedRedirect: false,
    });
    const html = await response.text();
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(csp(response).get("script-src")).toBe(`'sha256-${createHash("sha256").update(script).digest("base64")}'`);
    expect(csp(response).get("frame-src")).toBe("https://a.example.com");
    expect(html).toContain('src="https://a.example.com/fc?x=1&amp;iss=i&amp;sid=s"');
    expect(html).toContain('href="https://rp.example.com/bye?state=a&amp;b"');
    expect(html).toContain("Sie werden abgemeldet");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
  });

  it("the error page shows the error for developers and keeps 4xx statuses", async () => {
    const response = logoutErrorPage(new OAuthError("invalid_request", "bad <hint>", { status: 415 }), { locale: "en", requestId: "req-1" });
    expect(response.status).toBe(415);
    const html = await response.text();
    expect(html).toContain("<code>invalid_request</code> – bad &lt;hint&gt;");
    expect(html).toContain("<code>req-1</code>");
    expect(logoutErrorPage(new OAuthError("server_error"), { locale: "en", requestId: "r" }).status).toBe(400);
  });
});
