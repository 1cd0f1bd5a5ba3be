import { describe, expect, it } from "vitest";
import { SubjectIdentifiers } from "./subject";
import { BACKCHANNEL_LOGOUT_EVENT, GIVE_UP_AFTER_MS, MAX_ATTEMPTS, RETRY_DELAYS_MS, logoutTokenClaims, nextRetryDelayMs } from "./backchannel-logout";
import { isValidLogoutCsrfToken, logoutCsrfToken } from "./logout/csrf";

const subjects = new SubjectIdentifiers(new Uint8Array(32).fill(7));
const client = { clientId: "rp-1", subjectType: "public", sectorIdentifierUri: null, redirectUris: ["https://rp.example.com/cb"], idTokenSignedResponseAlg: "ES256" };

describe("logout token claims (Back-Channel Logout 1.0 §2.4)", () => {
  it("has iss, aud, iat, exp (2 minutes), jti, events, sid and sub, and never a nonce", () => {
    const now = Date.UTC(2026, 10, 29, 12, 0, 0);
    const claims = logoutTokenClaims({ client, userId: "u-1", sessionId: "s-1" }, "https://id.example.com", subjects, now);
    expect(claims).toMatchObject({ iss: "https://id.example.com", aud: "rp-1", sub: "u-1", sid: "s-1", iat: now / 1000, exp: now / 1000 + 120 });
    expect(claims.events).toEqual({ [BACKCHANNEL_LOGOUT_EVENT]: {} });
    expect(typeof claims.jti).toBe("string");
    expect(claims).not.toHaveProperty("nonce");
    const again = logoutTokenClaims({ client, userId: "u-1", sessionId: "s-1" }, "https://id.example.com", subjects, now);
    expect(again.jti).not.toBe(claims.jti);
  });

  it("uses the pairwise subject of a pairwise client (OIDC Core §8.1)", () => {
    const pairwise = { ...client, subjectType: "pairwise" };
    const claims = logoutTokenClaims({ client: pairwise, userId: "u-1", sessionId: "s-1" }, "https://id.example.com", subjects, 0);
    expect(claims.sub).toBe(subjects.subjectFor(pairwise, "u-1"));
    expect(claims.sub).not.toBe("u-1");
  });
});

describe("retry schedule", () => {
  it("backs off exponentially and gives up after the last attempt", () => {
    const created = 0;
    let now = 0;
    const waits: number[] = [];
    for (let attempts = 1; ; attempts++) {
      const delay = nextRetryDelayMs(attempts, created, now);
      if (delay === null) {
        expect(attempts).toBe(MAX_ATTEMPTS);
        break;
      }
      waits.push(delay);
      now += delay;
    }
    expect(waits).toEqual([...RETRY_DELAYS_MS]);
    expect(waits.slice(0, 4)).toEqual([10_000, 30_000, 120_000, 600_000]);
    expect(now).toBeLessThanOrEqual(GIVE_UP_AFTER_MS);
  });

  it("never schedules an attempt more than a day after the logout", () => {
    expect(nextRetryDelayMs(2, 0, GIVE_UP_AFTER_MS - 1_000)).toBeNull();
  });
});

describe("logout confirmation CSRF token", () => {
  it("is bound to the session and compared safely", () => {
    const token = logoutCsrfToken("secret-secret-secret-secret-secret", "session-a");
    expect(isValidLogoutCsrfToken("secret-secret-secret-secret-secret", "session-a", token)).toBe(true);
    expect(isValidLogoutCsrfToken("secret-secret-secret-secret-secret", "session-b", token)).toBe(false);
    expect(isValidLogoutCsrfToken("another-secret-another-secret-1234", "session-a", token)).toBe(false);
    expect(isValidLogoutCsrfToken("secret-secret-secret-secret-secret", "session-a", undefined)).toBe(false);
    expect(isValidLogoutCsrfToken("secret-secret-secret-secret-secret", "session-a", token.slice(1))).toBe(false);
    expect(isValidLogoutCsrfToken("secret-secret-secret-secret-secret", "session-a", "é".repeat(43))).toBe(false);
  });
});
