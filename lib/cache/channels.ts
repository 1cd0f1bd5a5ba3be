/**
 * The pub/sub channels of the shared cache (Cache.publish / Cache.subscribe: Redis when
 * configured, in-process otherwise), each named once, as `<what>:<event>`. Every publisher and
 * subscriber uses these constants. Messages are hints that make other instances drop or reload
 * an in-memory copy at once; the database stays the record, and every copy also expires by itself.
 */
export const channels = {
  /** A client was created or changed; the message is its client_id (lib/clients/client-service.ts). */
  clientsChanged: "clients:changed",
  /** The signing keys were rotated; the message names the announcing instance (lib/keys/key-store.ts). */
  keysChanged: "keys:changed",
  /** Access tokens were revoked; the message lists [jti, expiresAt] pairs (lib/oauth/revocation-list.ts). */
  revocationsAdded: "revocations:added",
  /** The tenant's branding or self-registration switch changed (lib/tenancy/tenant-settings.ts). */
  tenantSettingsChanged: "tenant-settings:changed",
} as const;
export type Channel = (typeof channels)[keyof typeof channels];
