import { defineConfig, devices } from "@playwright/test";

const PORT = 3100;
const baseURL = `http://127.0.0.1:${PORT}`;
const dataDir = ".tmp/e2e-data";

/**
 * Browser tests against the production server (`npm start`: builds when needed, then runs
 * the compiled server dist/server.js). Uses Debian's Chromium: never run `playwright install` on these machines.
 */
export default defineConfig({
  testDir: "e2e",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: "list",
  forbidOnly: !!process.env.CI,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  outputDir: "test-results",
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    },
  },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"] } }],
  webServer: {
    // Playwright starts the web server before globalSetup runs, so the data folder is wiped here:
    // every run starts from an empty database (first start: migrations, keys, admin account).
    command: `rm -rf ${dataDir} && npm start`,
    url: `${baseURL}/api/health`,
    reuseExistingServer: false,
    timeout: 240_000,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      PORT: String(PORT),
      AUTHLY_ISSUER: baseURL,
      AUTHLY_DATA_DIR: dataDir,
      AUTHLY_ADMIN_EMAIL: "admin@example.com",
      AUTHLY_ADMIN_PASSWORD: "e2e-admin-password-1",
      LOG_LEVEL: "warn",
      // Brute-force protection: the lockout (15 minutes) comes after 4 failures here, so the spec
      // reaches it in a few attempts whatever the delays in between (e2e/pages.spec.ts).
      AUTHLY_LOGIN_LOCKOUT_AFTER: "4",
      // Mail goes to the SMTP listener the registration and password-reset specs run (e2e/support/e2e.ts).
      SMTP_URL: "smtp://127.0.0.1:3125",
      AUTHLY_MAIL_FROM: "Authly <no-reply@example.com>",
      NEXT_TELEMETRY_DISABLED: "1",
    },
  },
});
