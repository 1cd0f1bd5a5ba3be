// The TokenStore contract (tests/support/token-store-contract.ts) on SqlTokenStore, the store the
// server runs, on this run's database; MemoryTokenStore runs the same contract in the unit project.
import { randomUUID } from "node:crypto";
import type { Prisma } from "../lib/generated/prisma/client";
import { hashSecret, randomToken } from "../lib/security/secrets";
import { describeTokenStoreContract } from "./support/token-store-contract";
import { createTestContainer, databaseKind } from "./support/test-env";

const TENANT = "default";

describeTokenStoreContract(`SqlTokenStore (${databaseKind})`, async () => {
  const ctx = await createTestContainer();
  const { prisma } = ctx.container;
  await prisma.tenant.upsert({ where: { id: TENANT }, create: { id: TENANT, name: "Default" }, update: {} });
  return {
    store: ctx.container.tokenStore,
    async client() {
      const row = await prisma.client.create({
        data: { tenantId: TENANT, clientId: `c-${randomUUID()}`, name: "Contract", type: "confidential", tokenEndpointAuthMethod: "client_secret_basic" },
        select: { id: true },
      });
      return row.id;
    },
    async user(status = "active") {
      const row = await prisma.user.create({ data: { tenantId: TENANT, email: `${randomUUID()}@example.com`, status }, select: { id: true } });
      return row.id;
    },
    async setUserStatus(userId, status) {
      await prisma.user.update({ where: { id: userId }, data: { status } });
    },
    async session(userId) {
      const now = new Date();
      const row = await prisma.session.create({
        data: { id: randomUUID(), tenantId: TENANT, userId, authTime: now, expiresAt: new Date(now.getTime() + 3_600_000), idleExpiresAt: new Date(now.getTime() + 3_600_000) },
        select: { id: true },
      });
      return row.id;
    },
    async endSession(sessionId, at) {
      await prisma.session.update({ where: { id: sessionId }, data: { endedAt: at, endReason: "logout" } });
    },
    async code(input) {
      const hash = hashSecret(randomToken(32));
      const row = await prisma.authorizationCode.create({
        data: {
          tenantId: TENANT,
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
          ...(input.claims ? { claims: input.claims as Prisma.InputJsonValue } : {}),
          authTime: input.createdAt,
          amr: ["pwd"],
          createdAt: input.createdAt,
          expiresAt: input.expiresAt,
        },
        select: { id: true },
      });
      return { id: row.id, hash };
    },
    close: () => ctx.cleanup(),
  };
});
