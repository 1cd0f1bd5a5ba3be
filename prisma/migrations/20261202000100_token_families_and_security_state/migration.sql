-- Refresh token families as rows of their own: rotation and revocation lock the family row, and
-- revocation is recorded on it (RFC 9700 §4.14.2), so nothing is added to a revoked family.
CREATE TABLE "RefreshTokenFamily" (
    "id" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "userId" TEXT,
    "sessionId" TEXT,
    "authorizationCodeId" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "revokedAt" TIMESTAMPTZ(3),
    "revokedReason" TEXT,

    CONSTRAINT "RefreshTokenFamily_pkey" PRIMARY KEY ("id")
);

-- Existing families: every token of a family shares its client, user, session and code; a family
-- was revoked as a whole, so any revoked token means a revoked family.
INSERT INTO "RefreshTokenFamily" ("id", "tenantId", "clientId", "userId", "sessionId", "authorizationCodeId", "createdAt", "expiresAt", "revokedAt", "revokedReason")
SELECT "familyId", min("tenantId"), min("clientId"), min("userId"), min("sessionId"), min("authorizationCodeId"),
       min("createdAt"), max("expiresAt"), min("revokedAt"), min("revokedReason")
FROM "RefreshToken"
GROUP BY "familyId";

CREATE INDEX "RefreshTokenFamily_userId_idx" ON "RefreshTokenFamily"("userId");
CREATE INDEX "RefreshTokenFamily_sessionId_idx" ON "RefreshTokenFamily"("sessionId");
CREATE INDEX "RefreshTokenFamily_authorizationCodeId_idx" ON "RefreshTokenFamily"("authorizationCodeId");
CREATE INDEX "RefreshTokenFamily_expiresAt_idx" ON "RefreshTokenFamily"("expiresAt");

ALTER TABLE "RefreshTokenFamily" ADD CONSTRAINT "RefreshTokenFamily_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "RefreshTokenFamily" ADD CONSTRAINT "RefreshTokenFamily_clientId_fkey" FOREIGN KEY ("clientId") REFERENCES "Client"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "RefreshTokenFamily" ADD CONSTRAINT "RefreshTokenFamily_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "RefreshToken" ADD CONSTRAINT "RefreshToken_familyId_fkey" FOREIGN KEY ("familyId") REFERENCES "RefreshTokenFamily"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Revoking everything of a user or of a browser session.
CREATE INDEX "AccessToken_userId_idx" ON "AccessToken"("userId");
CREATE INDEX "AccessToken_sessionId_idx" ON "AccessToken"("sessionId");

-- The revocation list is read incrementally by the database's own clock.
ALTER TABLE "RevokedAccessToken" ADD COLUMN "recordedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
CREATE INDEX "RevokedAccessToken_recordedAt_idx" ON "RevokedAccessToken"("recordedAt");

-- Used client assertion jti values (RFC 7523 §3 item 7), in the database rather than the cache.
CREATE TABLE "UsedClientAssertion" (
    "clientId" TEXT NOT NULL,
    "jti" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "UsedClientAssertion_pkey" PRIMARY KEY ("clientId","jti")
);
CREATE INDEX "UsedClientAssertion_expiresAt_idx" ON "UsedClientAssertion"("expiresAt");
ALTER TABLE "UsedClientAssertion" ADD CONSTRAINT "UsedClientAssertion_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- The start of the period over which an account's failed sign-ins are counted.
ALTER TABLE "User" ADD COLUMN "failedLoginSince" TIMESTAMPTZ(3);
