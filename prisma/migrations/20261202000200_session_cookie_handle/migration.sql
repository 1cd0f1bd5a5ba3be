-- Session cookie handle: a random secret renewed at every authentication, carried by the sealed
-- session cookie; the row keeps only its SHA-256 (OWASP Session Management Cheat Sheet: renew the
-- session ID after any privilege level change). Existing sessions keep NULL until their next
-- authentication and accept their handle-less cookie until then.

-- AlterTable
ALTER TABLE "Session" ADD COLUMN     "cookieHandleHash" TEXT;
