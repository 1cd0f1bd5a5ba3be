import type { NextConfig } from "next";
import createNextIntlPlugin from "next-intl/plugin";

const withNextIntl = createNextIntlPlugin("./i18n/request.ts");

const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Security headers are set by the custom server (server.ts), not here.
  // Native, WASM or connection-pooling packages that must be loaded by Node, not bundled.
  serverExternalPackages: [
    "@electric-sql/pglite",
    "pglite-prisma-adapter",
    "@prisma/adapter-pg",
    "@prisma/client",
    "pg",
    "argon2",
    "bcryptjs",
    "ioredis",
  ],
  images: { remotePatterns: [] },
};

export default withNextIntl(nextConfig);
