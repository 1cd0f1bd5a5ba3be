-- Pages and hardening: tenant branding and self-registration switch, single-use email tokens
-- (verification, password reset; stored as SHA-256), idle expiry of browser sessions, and the
-- claims of each consent decision.

-- AlterTable
ALTER TABLE "ConsentRecord" ADD COLUMN     "claims" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- AlterTable: idle expiry of browser sessions; existing sessions keep their absolute expiry as idle expiry.
ALTER TABLE "Session" ADD COLUMN     "idleExpiresAt" TIMESTAMPTZ(3);
UPDATE "Session" SET "idleExpiresAt" = "expiresAt";
ALTER TABLE "Session" ALTER COLUMN "idleExpiresAt" SET NOT NULL;

-- AlterTable
ALTER TABLE "Tenant" ADD COLUMN     "accentColor" TEXT,
ADD COLUMN     "logoUri" TEXT,
ADD COLUMN     "productName" TEXT,
ADD COLUMN     "registrationEnabled" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "UserToken" (
    "id" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "usedAt" TIMESTAMPTZ(3),

    CONSTRAINT "UserToken_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "UserToken_tokenHash_key" ON "UserToken"("tokenHash");

-- CreateIndex
CREATE INDEX "UserToken_userId_idx" ON "UserToken"("userId");

-- CreateIndex
CREATE INDEX "UserToken_expiresAt_idx" ON "UserToken"("expiresAt");

-- AddForeignKey
ALTER TABLE "UserToken" ADD CONSTRAINT "UserToken_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "UserToken" ADD CONSTRAINT "UserToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
