import { z } from "zod";
import type { Client, PrismaClient } from "../generated/prisma/client";
import type { AuditLog } from "../audit/audit-log";
import type { ScopeService } from "../scopes/scope-service";
import type { Clock } from "../server/clock";
import { ValidationError, fromZodIssues } from "../server/errors";
import { hashSecret, randomToken } from "../security/secrets";
import { checkRedirectUri } from "./redirect-uri";

export const supportedGrantTypes = ["authorization_code", "refresh_token", "client_credentials"] as const;
export const supportedAuthMethods = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"] as const;

export const newClientSchema = z.object({
  name: z.string().trim().min(1, { error: "is required" }).max(200),
  type: z.enum(["confidential", "public"], { error: 'must be "confidential" or "public"' }),
  applicationType: z.enum(["web", "native"]).default("web"),
  redirectUris: z.array(z.string()).default([]),
  postLogoutRedirectUris: z.array(z.string()).default([]),
  grantTypes: z
    .array(z.enum(supportedGrantTypes, { error: `must be one of ${supportedGrantTypes.join(", ")}` }))
    .min(1, { error: "name at least one grant type" }),
  scopes: z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, { error: "is not a valid scope token (RFC 6749 §3.3)" })).default([]),
  tokenEndpointAuthMethod: z.enum(supportedAuthMethods, { error: `must be one of ${supportedAuthMethods.join(", ")}` }).optional(),
  requireConsent: z.boolean().default(true),
});
export type NewClient = z.input<typeof newClientSchema>;

export interface CreatedClient {
  client: Client;
  /** Shown once; only its hash is stored. */
  clientSecret?: string;
}

export class ClientService {
  constructor(
    private readonly deps: { prisma: PrismaClient; scopes: ScopeService; audit: AuditLog; clock: Clock; tenantId: string },
  ) {}

  async create(input: NewClient, actor: { type: "admin" | "cli" | "system"; id?: string } = { type: "system" }): Promise<CreatedClient> {
    const parsed = newClientSchema.safeParse(input);
    if (!parsed.success) throw fromZodIssues(parsed.error.issues);
    const c = parsed.data;
    const issues: { field: string; message: string }[] = [];
    const grantTypes = [...new Set(c.grantTypes)];

    const authMethod = c.tokenEndpointAuthMethod ?? (c.type === "public" ? "none" : "client_secret_basic");
    // OAuth 2.1 §2.1: public clients cannot authenticate; confidential clients must.
    if (c.type === "public" && authMethod !== "none") issues.push({ field: "tokenEndpointAuthMethod", message: 'public clients use "none"' });
    if (c.type === "confidential" && authMethod === "none") issues.push({ field: "tokenEndpointAuthMethod", message: 'confidential clients cannot use "none"' });
    // OAuth 2.1 §4.2: the client credentials grant is for confidential clients only.
    if (c.type === "public" && grantTypes.includes("client_credentials")) {
      issues.push({ field: "grantTypes", message: "client_credentials is only for confidential clients" });
    }
    if (grantTypes.includes("refresh_token") && !grantTypes.includes("authorization_code")) {
      issues.push({ field: "grantTypes", message: "refresh_token needs authorization_code" });
    }
    const redirectUris = [...new Set(c.redirectUris)];
    if (grantTypes.includes("authorization_code") && redirectUris.length === 0) {
      issues.push({ field: "redirectUris", message: "authorization_code needs at least one redirect URI (OAuth 2.1 §2.3)" });
    }
    for (const uri of [...redirectUris, ...c.postLogoutRedirectUris]) {
      const problem = checkRedirectUri(uri, c.applicationType);
      if (problem) issues.push({ field: redirectUris.includes(uri) ? "redirectUris" : "postLogoutRedirectUris", message: `${uri} ${problem}` });
    }
    const scopes = [...new Set(c.scopes)];
    const known = await this.deps.scopes.enabledNames();
    const unknown = scopes.filter((s) => !known.has(s));
    if (unknown.length > 0) issues.push({ field: "scopes", message: `unknown scope(s): ${unknown.join(", ")}` });
    if (issues.length > 0) throw new ValidationError(issues);

    // Client secrets are 256-bit random values, so a SHA-256 hash is a sound way to store them.
    const clientSecret = c.type === "confidential" && authMethod !== "private_key_jwt" ? randomToken(32) : undefined;
    const clientId = randomToken(18);
    const now = this.deps.clock.now();
    const client = await this.deps.prisma.$transaction(async (tx) => {
      const created = await tx.client.create({
        data: {
          tenantId: this.deps.tenantId,
          clientId,
          name: c.name,
          type: c.type,
          applicationType: c.applicationType,
          secretHash: clientSecret ? hashSecret(clientSecret) : null,
          redirectUris,
          postLogoutRedirectUris: [...new Set(c.postLogoutRedirectUris)],
          grantTypes,
          responseTypes: grantTypes.includes("authorization_code") ? ["code"] : [],
          scopes,
          tokenEndpointAuthMethod: authMethod,
          requireConsent: c.requireConsent,
          createdAt: now,
        },
      });
      await this.deps.audit.record(
        { type: "client.created", actorType: actor.type, actorId: actor.id, targetType: "client", targetId: created.clientId, details: { name: c.name, type: c.type } },
        tx,
      );
      return created;
    });
    return { client, clientSecret };
  }

  list(options: { take?: number; skip?: number } = {}): Promise<Client[]> {
    return this.deps.prisma.client.findMany({
      where: { tenantId: this.deps.tenantId },
      orderBy: { createdAt: "asc" },
      take: Math.min(options.take ?? 100, 1000),
      skip: options.skip ?? 0,
    });
  }

  findByClientId(clientId: string): Promise<Client | null> {
    return this.deps.prisma.client.findFirst({ where: { clientId, tenantId: this.deps.tenantId } });
  }
}
