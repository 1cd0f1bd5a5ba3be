import { describe, expect, it } from "vitest";
import { frameSources, frontchannelLogoutUrl, frontchannelTargets } from "./frontchannel-logout";

const ISS = "https://id.example.com";

describe("front-channel logout URLs (Front-Channel Logout 1.0 §2)", () => {
  it("adds iss and sid, keeping the registered query", () => {
    expect(frontchannelLogoutUrl("https://rp.example.com/fc", ISS, "s-1")).toBe("https://rp.example.com/fc?iss=https%3A%2F%2Fid.example.com&sid=s-1");
    expect(frontchannelLogoutUrl("https://rp.example.com/fc?tenant=a&x=%20", ISS, "s-1")).toBe(
      "https://rp.example.com/fc?tenant=a&x=%20&iss=https%3A%2F%2Fid.example.com&sid=s-1",
    );
  });

  it("keeps the parameters in the query when a fragment slipped through", () => {
    expect(frontchannelLogoutUrl("https://rp.example.com/fc#frag", ISS, "s")).toBe("https://rp.example.com/fc?iss=https%3A%2F%2Fid.example.com&sid=s");
  });

  it("lists enabled clients with an http(s) URI only, and their origins for frame-src", () => {
    const targets = frontchannelTargets(
      [
        { clientId: "a", frontchannelLogoutUri: "https://a.example.com/fc", enabled: true },
        { clientId: "b", frontchannelLogoutUri: null, enabled: true },
        { clientId: "c", frontchannelLogoutUri: "https://c.example.com/fc", enabled: false },
        { clientId: "d", frontchannelLogoutUri: "javascript:alert(1)", enabled: true },
        { clientId: "e", frontchannelLogoutUri: "http://127.0.0.1:8080/fc?x=1", enabled: true },
        { clientId: "f", frontchannelLogoutUri: "https://a.example.com/other", enabled: true },
      ],
      ISS,
      "sid-9",
    );
    expect(targets.map((t) => t.clientId)).toEqual(["a", "e", "f"]);
    expect(targets[1]!.url).toBe("http://127.0.0.1:8080/fc?x=1&iss=https%3A%2F%2Fid.example.com&sid=sid-9");
    expect(frameSources(targets)).toBe("https://a.example.com http://127.0.0.1:8080");
    expect(frameSources([])).toBe("'none'");
  });
});
