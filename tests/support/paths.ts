import path from "node:path";

export const POSTGRES_TEST_URL = process.env.AUTHLY_TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
export const REDIS_TEST_URL = process.env.AUTHLY_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
export const TEMPLATE_ROOT = path.resolve(".tmp/test-db");
export const templateDirFor = (runId: string, variant: "migrated" | "blank" = "migrated") =>
  path.join(TEMPLATE_ROOT, `template-${variant}-${runId}`);
