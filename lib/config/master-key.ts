import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Logger } from "../observability/logger";
import type { AppConfig } from "./config";
import { ConfigError } from "./config";
import { generateMasterKey, parseMasterKey } from "../security/key-encryption";

export const MASTER_KEY_FILE = "master.key";

/**
 * The 32-byte master key that encrypts signing keys at rest.
 * - AUTHLY_MASTER_KEY (or AUTHLY_MASTER_KEY_FILE) wins;
 * - in production with PostgreSQL it is required: several instances must share it;
 * - otherwise it is read from, or generated into, AUTHLY_DATA_DIR/master.key (mode 0600).
 */
export function resolveMasterKey(config: AppConfig, logger: Logger): Uint8Array {
  if (config.masterKey) {
    try {
      return parseMasterKey(config.masterKey);
    } catch (error) {
      throw new ConfigError([{ variable: "AUTHLY_MASTER_KEY", message: (error as Error).message }]);
    }
  }
  if (config.env === "production" && config.database.kind === "postgres") {
    throw new ConfigError([
      {
        variable: "AUTHLY_MASTER_KEY",
        message: "is required in production with PostgreSQL (generate one with: npx authly master-key)",
      },
    ]);
  }
  const file = path.join(config.dataDir, MASTER_KEY_FILE);
  if (existsSync(file)) {
    const mode = statSync(file).mode & 0o777;
    if (mode & 0o077) {
      chmodSync(file, 0o600);
      logger.warn("tightened permissions of the master key file to 0600", { file });
    }
    try {
      return parseMasterKey(readFileSync(file, "utf8").trim());
    } catch (error) {
      throw new ConfigError([{ variable: "AUTHLY_MASTER_KEY", message: `${file}: ${(error as Error).message}` }]);
    }
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const key = generateMasterKey();
  try {
    // "wx": never overwrite a key another process has just written.
    writeFileSync(file, key + "\n", { mode: 0o600, flag: "wx" });
    logger.warn("generated a new master key; back it up, signing keys cannot be decrypted without it", { file });
    return parseMasterKey(key);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return parseMasterKey(readFileSync(file, "utf8").trim());
    throw error;
  }
}
