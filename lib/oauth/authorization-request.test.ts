import { describe, expect, it } from "vitest";
import { isAbsoluteUriWithoutFragment } from "../clients/redirect-uri";
import { escapeHtml } from "../http/html-page";

describe("resource indicators (RFC 8707 §2)", () => {
  it.each(["https://api.example.com/", "https://api.example.com/v1?x=1", "urn:example:api"])("accepts %s", (uri) => {
    expect(isAbsoluteUriWithoutFragment(uri)).toBe(true);
  });
  it.each(["/relative", "api.example.com", "https://api.example.com/#frag", "https://api.example.com/#", "", "1http://x", "https://exa mple.com/"])(
    "rejects %s",
    (uri) => {
      expect(isAbsoluteUriWithoutFragment(uri)).toBe(false);
    },
  );
});

describe("escapeHtml", () => {
  it("escapes the five HTML-significant characters", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });
});
