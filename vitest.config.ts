import { defineConfig } from "vitest/config";
import path from "node:path";

// Three projects:
//  - unit: tests beside the modules (lib/**, components/**, i18n/**); may use Redis at 127.0.0.1:6379;
//  - db-embedded / db-postgres: the integration suite under tests/, run once per database.
export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["lib/**/*.test.ts", "components/**/*.test.ts", "i18n/**/*.test.ts"] },
      },
      {
        extends: true,
        test: {
          name: "db-embedded",
          include: ["tests/**/*.test.ts"],
          env: { AUTHLY_TEST_DATABASE: "embedded" },
          globalSetup: ["tests/support/global-setup.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "db-postgres",
          include: ["tests/**/*.test.ts"],
          env: { AUTHLY_TEST_DATABASE: "postgres" },
          globalSetup: ["tests/support/global-setup.ts"],
        },
      },
    ],
  },
});
