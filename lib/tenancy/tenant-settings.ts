/**
 * Per-tenant settings of the pages people see: the product name, logo and accent colour shown
 * in the page header and mails, and whether people may create their own account.
 *
 * Read on every page render, so an instance keeps them in memory for a short while (a `CachedValue`,
 * lib/cache/invalidating-cache.ts) and drops its copy when any instance announces a change (cache
 * pub/sub: Redis when configured).
 */
import { z } from "zod";
import type { PrismaClient } from "../generated/prisma/client";
import type { AuditLog } from "../audit/audit-log";
import type { Cache } from "../cache/cache";
import { isWebUrl } from "../http/web-url";
import { channels } from "../cache/channels";
import { CachedValue } from "../cache/invalidating-cache";
import type { Logger } from "../observability/logger";
import type { Clock } from "../server/clock";
import { fromZodIssues } from "../server/errors";
import { DEFAULT_TENANT_NAME } from "./tenant";

export interface TenantSettings {
  /** Shown instead of "Authly" in page titles, the header and mails; null: the default name. */
  productName: string | null;
  /** Logo in the page header: an https URL or a same-origin path; null: Authly's mark. */
  logoUri: string | null;
  /** Accent colour (#rrggbb) of buttons and links; null: the default blue. */
  accentColor: string | null;
  /** Self-registration with email verification (off by default). */
  registrationEnabled: boolean;
}

const CHANGE_CHANNEL = channels.tenantSettingsChanged;
/** Fallback lifetime of the in-memory copy when a change announcement is missed. */
const CACHE_MS = 30_000;

const logoUri = z
  .string()
  .trim()
  .max(2048)
  .refine((value) => /^\/(?![/\\])[^\s]*$/.test(value) || isWebUrl(value, { http: "never" }), { error: "must be an https URL or a path starting with /" });

export const tenantSettingsPatchSchema = z
  .object({
    productName: z.string().trim().min(1).max(80).nullable(),
    logoUri: logoUri.nullable(),
    accentColor: z
      .string()
      .trim()
      .regex(/^#[0-9a-fA-F]{6}$/, { error: "must be a colour like #2563eb" })
      .transform((v) => v.toLowerCase())
      .nullable(),
    registrationEnabled: z.boolean(),
  })
  .partial()
  .strict();
export type TenantSettingsPatch = z.input<typeof tenantSettingsPatchSchema>;

export class TenantSettingsService {
  private readonly settings: CachedValue<TenantSettings>;

  constructor(private readonly deps: { prisma: PrismaClient; tenantId: string; cache: Cache; clock: Clock; audit: AuditLog; logger: Logger }) {
    this.settings = new CachedValue<TenantSettings>({
      name: "tenant settings",
      clock: deps.clock,
      logger: deps.logger,
      load: () => this.read(),
      ttlMs: CACHE_MS,
      // Any instance's change (the message is the tenant id) drops this copy.
      channel: { cache: deps.cache, channel: CHANGE_CHANNEL, mode: "drop", message: () => deps.tenantId },
    });
  }

  /** Listens for changes made by other instances. */
  startListening(): Promise<unknown> {
    return this.settings.listen();
  }

  get(): Promise<TenantSettings> {
    return this.settings.get();
  }

  /** Unsubscribes and waits for a read in progress (container.close). */
  close(): Promise<void> {
    return this.settings.close();
  }

  /** Validates and stores a change (null resets a value to the default); every instance sees it at once. */
  async update(patch: TenantSettingsPatch, actor: { type: "admin" | "cli" | "system"; id?: string } = { type: "system" }): Promise<TenantSettings> {
    const parsed = tenantSettingsPatchSchema.safeParse(patch);
    if (!parsed.success) throw fromZodIssues(parsed.error.issues);
    const data = parsed.data;
    await this.deps.prisma.tenant.upsert({
      where: { id: this.deps.tenantId },
      create: { id: this.deps.tenantId, name: DEFAULT_TENANT_NAME, ...data },
      update: data,
    });
    await this.deps.audit.record({ type: "tenant.settings_updated", actorType: actor.type, actorId: actor.id, targetType: "tenant", targetId: this.deps.tenantId, details: { changed: Object.keys(data) } });
    await this.settings.announce();
    return this.get();
  }

  private async read(): Promise<TenantSettings> {
    const row = await this.deps.prisma.tenant.findUnique({ where: { id: this.deps.tenantId } });
    return {
      productName: row?.productName ?? null,
      logoUri: row?.logoUri ?? null,
      accentColor: row?.accentColor ?? null,
      registrationEnabled: row?.registrationEnabled ?? false,
    };
  }
}
