// The TokenStore contract (tests/support/token-store-contract.ts) on MemoryTokenStore; the same
// contract runs on SqlTokenStore on both databases in tests/token-store.contract.test.ts.
import { randomUUID } from "node:crypto";
import { describeTokenStoreContract } from "../../../tests/support/token-store-contract";
import { ManualClock } from "../../server/clock";
import { MemoryTokenStore } from "./memory";

describeTokenStoreContract("MemoryTokenStore", async () => {
  const store = new MemoryTokenStore({ tenantId: "default", clock: new ManualClock(Date.now()) });
  return {
    store,
    client: async () => randomUUID(),
    async user(status = "active") {
      const id = randomUUID();
      store.setUserStatus(id, status);
      return id;
    },
    setUserStatus: async (userId, status) => store.setUserStatus(userId, status),
    session: async () => randomUUID(),
    endSession: async (sessionId, at) => store.endSession(sessionId, at),
    async code(input) {
      const id = randomUUID();
      const hash = randomUUID();
      store.addAuthorizationCode({
        id,
        codeHash: hash,
        clientId: input.clientId,
        userId: input.userId,
        sessionId: input.sessionId ?? null,
        redirectUri: input.redirectUri ?? "",
        scopes: input.scopes ?? [],
        resources: input.resources ?? [],
        codeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        codeChallengeMethod: "S256",
        nonce: input.nonce ?? null,
        claims: (input.claims ?? null) as never,
        authTime: input.createdAt,
        acr: null,
        amr: ["pwd"],
        createdAt: input.createdAt,
        expiresAt: input.expiresAt,
      });
      return { id, hash };
    },
    close: async () => undefined,
  };
});
