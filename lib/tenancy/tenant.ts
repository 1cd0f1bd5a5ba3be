/** The tenant every row belongs to until multi-tenancy is switched on. */
export const DEFAULT_TENANT_ID = "default";
export const DEFAULT_TENANT_NAME = "Default";
