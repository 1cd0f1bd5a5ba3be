import { readFileSync } from "node:fs";

/**
 * Where secret values come from. Every secret variable NAME can be given directly (NAME) or as a
 * file (NAME_FILE=/run/secrets/...), as container orchestrators mount secrets. Further providers
 * (a vault, a cloud secret manager) implement the same interface.
 */
export interface SecretProvider {
  readonly name: string;
  /** The secret's value, or undefined when this provider does not define it. */
  get(variable: string): string | undefined;
}

export type Environment = Record<string, string | undefined>;

export class EnvSecretProvider implements SecretProvider {
  readonly name = "env";
  constructor(private readonly env: Environment) {}
  get(variable: string): string | undefined {
    const value = this.env[variable];
    return value === undefined || value === "" ? undefined : value;
  }
}

export class SecretFileError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
    this.name = "SecretFileError";
  }
}

/** Reads NAME_FILE; a single trailing newline (as `echo` writes) is removed. */
export class FileSecretProvider implements SecretProvider {
  readonly name = "file";
  constructor(
    private readonly env: Environment,
    private readonly readFile: (path: string) => string = (p) => readFileSync(p, "utf8"),
  ) {}
  get(variable: string): string | undefined {
    const path = this.env[`${variable}_FILE`];
    if (path === undefined || path === "") return undefined;
    let content: string;
    try {
      content = this.readFile(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
      throw new SecretFileError(`${variable}_FILE`, `cannot read ${path} (${code})`);
    }
    const value = content.replace(/\r?\n$/, "");
    if (value === "") throw new SecretFileError(`${variable}_FILE`, `${path} is empty`);
    return value;
  }
}

/** The variables that hold secrets and so may also come from NAME_FILE. */
export const secretVariables = ["AUTHLY_MASTER_KEY", "AUTHLY_ADMIN_PASSWORD", "DATABASE_URL", "REDIS_URL", "SMTP_URL"] as const;
export type SecretVariable = (typeof secretVariables)[number];

/**
 * Resolves each secret from the first provider that defines it. Setting both NAME and NAME_FILE
 * is ambiguous and is reported as an error by the config loader.
 */
export function resolveSecrets(
  providers: SecretProvider[],
  variables: readonly string[] = secretVariables,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const variable of variables) {
    for (const provider of providers) {
      const value = provider.get(variable);
      if (value !== undefined) {
        out[variable] = value;
        break;
      }
    }
  }
  return out;
}
