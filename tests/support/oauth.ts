import { createHash, randomBytes } from "node:crypto";
import { runRoute } from "../../lib/http/pipeline";
import { findRoute } from "../../lib/http/routes";
import { hashSecret, randomToken } from "../../lib/security/secrets";
import type { Container } from "../../lib/server/container";

export const basic = (id: string, secret: string) =>
  "Basic " + Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64");

/** Sends one request through the same pipeline both doors use. */
export async function call(
  container: Container,
  path: string,
  options: { method?: string; form?: Record<string, string> | string; headers?: Record<string, string>; ip?: string } = {},
): Promise<Response> {
  const [pathname] = path.split("?");
  const route = findRoute(pathname!);
  if (!route) throw new Error(`no route ${pathname}`);
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.form !== undefined) {
    body = typeof options.form === "string" ? options.form : new URLSearchParams(options.form).toString();
    headers["content-type"] ??= "application/x-www-form-urlencoded";
  }
  const request = new Request(`http://localhost:3000${path}`, { method: options.method ?? (body !== undefined ? "POST" : "GET"), headers, body });
  return runRoute(route, request, container, options.ip ?? "127.0.0.1");
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

/** Stores an authorization code row the way the authorization endpoint does, and returns the code. */
export async function storeAuthorizationCode(
  container: Container,
  input: {
    clientRowId: string;
    userId: string;
    challenge: string;
    redirectUri?: string;
    scopes?: string[];
    resources?: string[];
    ttlSeconds?: number;
    nonce?: string;
    sessionId?: string;
    claims?: Record<string, unknown>;
    acr?: string;
    authTime?: Date;
  },
): Promise<string> {
  const code = randomToken(32);
  const now = container.clock.now();
  await container.prisma.authorizationCode.create({
    data: {
      tenantId: "default",
      codeHash: hashSecret(code),
      clientId: input.clientRowId,
      userId: input.userId,
      redirectUri: input.redirectUri ?? "",
      scopes: input.scopes ?? [],
      resources: input.resources ?? [],
      codeChallenge: input.challenge,
      codeChallengeMethod: "S256",
      authTime: input.authTime ?? now,
      amr: ["pwd"],
      nonce: input.nonce ?? null,
      sessionId: input.sessionId ?? null,
      acr: input.acr ?? null,
      ...(input.claims !== undefined && { claims: input.claims as never }),
      createdAt: now,
      expiresAt: new Date(now.getTime() + (input.ttlSeconds ?? 60) * 1000),
    },
  });
  return code;
}
