import { configDefaults, defineConfig } from "vitest/config";
import path from "node:path";

// Four projects:
//  - unit: tests beside the modules (lib/**, components/**, i18n/**) and of the scripts (scripts/**);
//    may use Redis at 127.0.0.1:6379;
//  - db-embedded / db-postgres: the integration suite under tests/, run once per database;
//  - artifact: the built artefact installed with `npm ci --omit=dev` serves (tests/artifact.test.ts).
export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["lib/**/*.test.ts", "components/**/*.test.ts", "i18n/**/*.test.ts", "scripts/**/*.test.mjs"] },
      },
      {
        extends: true,
        test: {
          name: "db-embedded",
          include: ["tests/**/*.test.ts"],
          exclude: [...configDefaults.exclude, "tests/artifact.test.ts"],
          env: { AUTHLY_TEST_DATABASE: "embedded" },
          globalSetup: ["tests/support/global-setup.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "db-postgres",
          include: ["tests/**/*.test.ts"],
          exclude: [...configDefaults.exclude, "tests/artifact.test.ts"],
          env: { AUTHLY_TEST_DATABASE: "postgres" },
          globalSetup: ["tests/support/global-setup.ts"],
        },
      },
      {
        extends: true,
        // After the other projects (groupOrder 0): its build and `npm ci` do not compete with their timings.
        test: { name: "artifact", include: ["tests/artifact.test.ts"], testTimeout: 300_000, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
