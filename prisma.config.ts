// Prisma CLI configuration. The CLI runs its bundled WASM schema engine through the
// pg driver adapter (no native engine download); see docs/development.md.
import { defineConfig } from "prisma/config";
import { createMigrationAdapter } from "./prisma/cli-adapter";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  adapter: async () => createMigrationAdapter(process.env.DATABASE_URL ?? ""),
});
