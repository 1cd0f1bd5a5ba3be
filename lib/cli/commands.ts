import { parseArgs } from "node:util";
import { z } from "zod";
import { clientAuthMethods, grantTypes, isClientAuthMethod, signingAlgorithms, type SigningAlgorithm } from "../protocol/constants";

/** Invalid command-line input: printed with the usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export const usage = `Usage: authly <command> [options]

Commands:
  migrate                       Apply database migrations and create first-start data
  users create --email E [--password P] [--name N] [--admin] [--json]
                                Create a user (a password is generated when --password is omitted)
  users list [--json]           List users (with any sign-in lockout in force)
  users unlock --email E [--json]
                                Lift a sign-in lockout and clear the failed-attempt counters
  clients create --name N --type confidential|public --redirect-uri URI (repeatable)
                 --grant-types a,b (of ${grantTypes.join(", ")})
                 --scopes "openid profile"
                 [--auth-method ${clientAuthMethods.join("|")}]
                 [--post-logout-redirect-uri URI (repeatable)] [--resource URI (repeatable)]
                 [--jwks FILE | --jwks-uri URI] (public keys for private_key_jwt)
                 [--access-token-ttl S] [--refresh-token-ttl S] [--refresh-token-idle-ttl S]
                 [--id-token-ttl S] [--id-token-alg ${signingAlgorithms.join("|")}]
                 [--pairwise [--sector-identifier-uri URI]] [--default-max-age S] [--require-auth-time]
                 [--frontchannel-logout-uri URI [--frontchannel-logout-session-required]]
                 [--backchannel-logout-uri URI [--backchannel-logout-session-required]]
                 [--keep-refresh-tokens-on-logout] [--skip-consent]
                 [--logo-uri URI] [--client-uri URI] [--policy-uri URI] [--tos-uri URI]
                 [--native] [--json]
                                Register a client; prints client_id and the one-time client_secret
  clients list [--json]         List clients
  scopes create --name N [--description D] [--json]
                                Define a scope clients may be allowed to request
  scopes list [--json]          List scopes
  keys rotate [--alg ${signingAlgorithms.join("|")}] [--json]
                                Rotate signing keys (next -> active, active -> retired)
  keys list [--json]            List signing keys (public data only)
  tenant show [--json]          Show the branding and self-registration settings
  tenant set [--product-name N] [--logo-uri URI] [--accent-color #rrggbb]
             [--registration on|off] [--reset name,logo,accent] [--json]
                                Change them (every running instance sees the change)
  master-key                    Print a new random master key for AUTHLY_MASTER_KEY
  help                          Show this help

The CLI uses the same database as the server (DATABASE_URL, else the embedded database in
AUTHLY_DATA_DIR). While a server holds the embedded database, commands run inside that server.
Exit codes: 0 success, 1 failure, 2 invalid arguments.`;

export type Command =
  | { kind: "help" }
  | { kind: "master-key" }
  | { kind: "migrate" }
  | { kind: "tenant-show"; json: boolean }
  | {
      kind: "tenant-set";
      patch: { productName?: string | null; logoUri?: string | null; accentColor?: string | null; registrationEnabled?: boolean };
      json: boolean;
    }
  | { kind: "users-create"; email: string; password?: string; name?: string; admin: boolean; json: boolean }
  | { kind: "users-list"; json: boolean }
  | { kind: "users-unlock"; email: string; json: boolean }
  | {
      kind: "clients-create";
      name: string;
      type: "confidential" | "public";
      redirectUris: string[];
      postLogoutRedirectUris: string[];
      grantTypes: string[];
      scopes: string[];
      authMethod?: string;
      resources: string[];
      jwksFile?: string;
      jwksUri?: string;
      accessTokenTtl?: number;
      refreshTokenTtl?: number;
      refreshTokenIdleTtl?: number;
      /** OpenID Connect client metadata (OIDC Registration §2, Front-/Back-Channel Logout). */
      oidc: {
        idTokenTtl?: number;
        idTokenSignedResponseAlg?: SigningAlgorithm;
        subjectType: "public" | "pairwise";
        sectorIdentifierUri?: string;
        defaultMaxAge?: number;
        requireAuthTime: boolean;
        frontchannelLogoutUri?: string;
        frontchannelLogoutSessionRequired: boolean;
        backchannelLogoutUri?: string;
        backchannelLogoutSessionRequired: boolean;
        revokeRefreshTokensOnLogout: boolean;
        requireConsent: boolean;
        logoUri?: string;
        clientUri?: string;
        policyUri?: string;
        tosUri?: string;
      };
      native: boolean;
      json: boolean;
    }
  | { kind: "scopes-create"; name: string; description?: string; json: boolean }
  | { kind: "scopes-list"; json: boolean }
  | { kind: "clients-list"; json: boolean }
  | { kind: "keys-rotate"; algorithms: SigningAlgorithm[]; json: boolean }
  | { kind: "keys-list"; json: boolean };

type OptionSpec = Record<string, { type: "string" | "boolean"; multiple?: boolean }>;

function parse<T extends OptionSpec>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as Record<string, string | string[] | boolean | undefined>;
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0] ?? "invalid arguments");
  }
}

function required(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== "string" || v.trim() === "") throw new UsageError(`--${name} is required`);
  return v;
}

/** A whole number of seconds option, as `{ key: n }` when given. */
function seconds<K extends string>(values: Record<string, unknown>, option: string, key: K): Partial<Record<K, number>> {
  const v = values[option];
  if (v === undefined) return {};
  if (typeof v !== "string" || !/^\d{1,9}$/.test(v)) throw new UsageError(`--${option} must be a whole number of seconds`);
  return { [key]: Number(v) } as Partial<Record<K, number>>;
}

const isSigningAlgorithmName = (value: string): value is SigningAlgorithm => (signingAlgorithms as readonly string[]).includes(value);

const splitList = (v: string | undefined, sep: RegExp) => (v ?? "").split(sep).map((s) => s.trim()).filter(Boolean);

export function parseCommand(argv: string[]): Command {
  const [group, action, ...rest] = argv;
  const one = (cmd: string) => {
    if (action !== undefined) throw new UsageError(`"${cmd}" takes no arguments`);
  };
  switch (group) {
    case undefined:
    case "help":
    case "--help":
    case "-h":
      return { kind: "help" };
    case "master-key":
      one("master-key");
      return { kind: "master-key" };
    case "migrate":
      one("migrate");
      return { kind: "migrate" };
    case "users": {
      if (action === "create") {
        const v = parse(rest, { email: { type: "string" }, password: { type: "string" }, name: { type: "string" }, admin: { type: "boolean" }, json: { type: "boolean" } });
        const email = required(v, "email");
        if (!z.email().safeParse(email.trim().toLowerCase()).success) throw new UsageError(`--email: "${email}" is not a valid email address`);
        return { kind: "users-create", email, password: v.password as string | undefined, name: v.name as string | undefined, admin: v.admin === true, json: v.json === true };
      }
      if (action === "list") return { kind: "users-list", json: parse(rest, { json: { type: "boolean" } }).json === true };
      if (action === "unlock") {
        const v = parse(rest, { email: { type: "string" }, json: { type: "boolean" } });
        const email = required(v, "email");
        if (!z.email().safeParse(email.trim().toLowerCase()).success) throw new UsageError(`--email: "${email}" is not a valid email address`);
        return { kind: "users-unlock", email, json: v.json === true };
      }
      throw new UsageError(action ? `unknown users command "${action}"` : "users needs a command: unlock, create or list");
    }
    case "clients": {
      if (action === "create") {
        const v = parse(rest, {
          name: { type: "string" },
          type: { type: "string" },
          "redirect-uri": { type: "string", multiple: true },
          "post-logout-redirect-uri": { type: "string", multiple: true },
          "grant-types": { type: "string" },
          scopes: { type: "string" },
          "auth-method": { type: "string" },
          resource: { type: "string", multiple: true },
          jwks: { type: "string" },
          "jwks-uri": { type: "string" },
          "access-token-ttl": { type: "string" },
          "refresh-token-ttl": { type: "string" },
          "refresh-token-idle-ttl": { type: "string" },
          "id-token-ttl": { type: "string" },
          "id-token-alg": { type: "string" },
          pairwise: { type: "boolean" },
          "sector-identifier-uri": { type: "string" },
          "default-max-age": { type: "string" },
          "require-auth-time": { type: "boolean" },
          "frontchannel-logout-uri": { type: "string" },
          "frontchannel-logout-session-required": { type: "boolean" },
          "backchannel-logout-uri": { type: "string" },
          "backchannel-logout-session-required": { type: "boolean" },
          "keep-refresh-tokens-on-logout": { type: "boolean" },
          "skip-consent": { type: "boolean" },
          "logo-uri": { type: "string" },
          "client-uri": { type: "string" },
          "policy-uri": { type: "string" },
          "tos-uri": { type: "string" },
          native: { type: "boolean" },
          json: { type: "boolean" },
        });
        const name = required(v, "name");
        const type = required(v, "type");
        if (type !== "confidential" && type !== "public") throw new UsageError(`--type must be "confidential" or "public" (got "${type}")`);
        const grantTypes = splitList(required(v, "grant-types"), /[,\s]+/);
        const authMethod = v["auth-method"] as string | undefined;
        if (authMethod !== undefined && !isClientAuthMethod(authMethod)) throw new UsageError(`--auth-method must be one of ${clientAuthMethods.join(", ")} (got "${authMethod}")`);
        const idTokenAlg = v["id-token-alg"] as string | undefined;
        if (idTokenAlg !== undefined && !isSigningAlgorithmName(idTokenAlg)) throw new UsageError(`--id-token-alg must be ${signingAlgorithms.slice(0, -1).join(", ")} or ${signingAlgorithms.at(-1)} (got "${idTokenAlg}")`);
        const str = (name: string) => v[name] as string | undefined;
        return {
          kind: "clients-create",
          name,
          type,
          redirectUris: (v["redirect-uri"] as string[] | undefined) ?? [],
          postLogoutRedirectUris: (v["post-logout-redirect-uri"] as string[] | undefined) ?? [],
          grantTypes,
          scopes: splitList(v.scopes as string | undefined, /[\s,]+/),
          authMethod,
          resources: (v.resource as string[] | undefined) ?? [],
          jwksFile: v.jwks as string | undefined,
          jwksUri: v["jwks-uri"] as string | undefined,
          ...seconds(v, "access-token-ttl", "accessTokenTtl"),
          ...seconds(v, "refresh-token-ttl", "refreshTokenTtl"),
          ...seconds(v, "refresh-token-idle-ttl", "refreshTokenIdleTtl"),
          oidc: {
            ...seconds(v, "id-token-ttl", "idTokenTtl"),
            ...(idTokenAlg !== undefined && { idTokenSignedResponseAlg: idTokenAlg }),
            subjectType: v.pairwise === true ? "pairwise" : "public",
            sectorIdentifierUri: str("sector-identifier-uri"),
            ...seconds(v, "default-max-age", "defaultMaxAge"),
            requireAuthTime: v["require-auth-time"] === true,
            frontchannelLogoutUri: str("frontchannel-logout-uri"),
            frontchannelLogoutSessionRequired: v["frontchannel-logout-session-required"] === true,
            backchannelLogoutUri: str("backchannel-logout-uri"),
            backchannelLogoutSessionRequired: v["backchannel-logout-session-required"] === true,
            revokeRefreshTokensOnLogout: v["keep-refresh-tokens-on-logout"] !== true,
            requireConsent: v["skip-consent"] !== true,
            logoUri: str("logo-uri"),
            clientUri: str("client-uri"),
            policyUri: str("policy-uri"),
            tosUri: str("tos-uri"),
          },
          native: v.native === true,
          json: v.json === true,
        };
      }
      if (action === "list") return { kind: "clients-list", json: parse(rest, { json: { type: "boolean" } }).json === true };
      throw new UsageError(action ? `unknown clients command "${action}"` : "clients needs a command: create or list");
    }
    case "scopes": {
      if (action === "create") {
        const v = parse(rest, { name: { type: "string" }, description: { type: "string" }, json: { type: "boolean" } });
        return { kind: "scopes-create", name: required(v, "name"), description: v.description as string | undefined, json: v.json === true };
      }
      if (action === "list") return { kind: "scopes-list", json: parse(rest, { json: { type: "boolean" } }).json === true };
      throw new UsageError(action ? `unknown scopes command "${action}"` : "scopes needs a command: create or list");
    }
    case "tenant": {
      if (action === "show") return { kind: "tenant-show", json: parse(rest, { json: { type: "boolean" } }).json === true };
      if (action === "set") {
        const v = parse(rest, {
          "product-name": { type: "string" },
          "logo-uri": { type: "string" },
          "accent-color": { type: "string" },
          registration: { type: "string" },
          reset: { type: "string" },
          json: { type: "boolean" },
        });
        const patch: Extract<Command, { kind: "tenant-set" }>["patch"] = {};
        if (typeof v["product-name"] === "string") patch.productName = v["product-name"];
        if (typeof v["logo-uri"] === "string") patch.logoUri = v["logo-uri"];
        if (typeof v["accent-color"] === "string") patch.accentColor = v["accent-color"];
        if (v.registration !== undefined) {
          if (v.registration !== "on" && v.registration !== "off") throw new UsageError('--registration must be "on" or "off"');
          patch.registrationEnabled = v.registration === "on";
        }
        for (const name of splitList(v.reset as string | undefined, /,/)) {
          if (name === "name") patch.productName = null;
          else if (name === "logo") patch.logoUri = null;
          else if (name === "accent") patch.accentColor = null;
          else throw new UsageError(`--reset takes name, logo and accent (got "${name}")`);
        }
        if (Object.keys(patch).length === 0) throw new UsageError("tenant set needs at least one setting to change");
        return { kind: "tenant-set", patch, json: v.json === true };
      }
      throw new UsageError(action ? `unknown tenant command "${action}"` : "tenant needs a command: show or set");
    }
    case "keys": {
      if (action === "rotate") {
        const v = parse(rest, { alg: { type: "string", multiple: true }, json: { type: "boolean" } });
        const algs = ((v.alg as string[] | undefined) ?? []).flatMap((a) => splitList(a, /,/));
        for (const a of algs) {
          if (!isSigningAlgorithmName(a)) throw new UsageError(`--alg must be one of ${signingAlgorithms.join(", ")} (got "${a}")`);
        }
        return { kind: "keys-rotate", algorithms: algs.length ? (algs as SigningAlgorithm[]) : [...signingAlgorithms], json: v.json === true };
      }
      if (action === "list") return { kind: "keys-list", json: parse(rest, { json: { type: "boolean" } }).json === true };
      throw new UsageError(action ? `unknown keys command "${action}"` : "keys needs a command: rotate or list");
    }
    default:
      throw new UsageError(`unknown command "${group}"`);
  }
}
