import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cruise, type ICruiseResult, type IViolation } from "dependency-cruiser";
import extractDepcruiseOptions from "dependency-cruiser/config-utl/extract-depcruise-options";
import extractTSConfig from "dependency-cruiser/config-utl/extract-ts-config";

/**
 * The layer rules of docs/layers.md, as `npm run lint` runs them (.dependency-cruiser.cjs): each
 * rule reports a deliberate violation in a small tree of files laid out like the repository, with
 * the rule's own name, and the repository itself has none.
 */

const root = path.resolve(import.meta.dirname, "..");
/** What `npm run lint` cruises (package.json). */
const cruised = ["lib", "app", "components", "i18n", "messages", "server.ts", "proxy.ts", "bin", "scripts"];

async function cruiseTree(baseDir: string): Promise<ICruiseResult> {
  const options = await extractDepcruiseOptions(path.join(root, ".dependency-cruiser.cjs"));
  const tsConfigFile = path.join(baseDir, "tsconfig.json");
  const result = await cruise(
    cruised.filter((entry) => existsSync(path.join(baseDir, entry))),
    // The cache belongs to `npm run lint`; a test cruises afresh.
    { ...options, baseDir, cache: false, tsConfig: { fileName: tsConfigFile } },
    {},
    { tsConfig: extractTSConfig(tsConfigFile) },
  );
  return result.output as ICruiseResult;
}

const described = (v: IViolation) => `${v.rule.name}: ${v.from} -> ${v.to}`;

describe("the layer rules on a tree with one violation of each", () => {
  let fixture: string;
  let violations: string[];

  const files: Record<string, string> = {
    // A package.json and installed packages: one dependency, one devDependency, one undeclared.
    "package.json": JSON.stringify({ name: "fixture", private: true, dependencies: { pg: "1.0.0" }, devDependencies: { devtool: "1.0.0" } }),
    "node_modules/pg/package.json": JSON.stringify({ name: "pg", version: "1.0.0", main: "index.js" }),
    "node_modules/pg/index.js": "export const Pool = class {};\n",
    "node_modules/devtool/package.json": JSON.stringify({ name: "devtool", version: "1.0.0", main: "index.js" }),
    "node_modules/devtool/index.js": "export const tool = 1;\n",
    "node_modules/undeclared/package.json": JSON.stringify({ name: "undeclared", version: "1.0.0", main: "index.js" }),
    "node_modules/undeclared/index.js": "export const other = 1;\n",

    // Entry points and the UI.
    "server.ts": 'import { createContainer } from "./lib/server/container";\ncreateContainer();\n',
    "proxy.ts": 'import { locales } from "./i18n/locales";\nexport const proxied = locales;\n',
    "app/page.tsx": 'import { getContainer } from "@/lib/server/instance";\nexport default function Page() { return String(getContainer()); }\n',
    "app/standalone/page.tsx": "export default function Standalone() { return null; }\n",
    "app/actions/act.ts": 'export async function act(): Promise<void> {}\n',
    "components/widget.tsx": "export function Widget() { return null; }\n",
    "components/header.tsx": 'import { getContainer } from "@/lib/server/instance";\nexport const header = getContainer;\n',
    "components/rows.ts": 'import { Pool } from "pg";\nexport const rows = new Pool();\n',
    "components/query.ts": 'import { sql } from "../lib/db/sql";\nexport const query = sql;\n',
    "i18n/request.ts": 'import { locales } from "./locales";\nexport default locales;\n',
    "i18n/locales.ts": 'import { productName } from "../lib/tenancy/branding";\nexport const locales = ["en", productName];\n',
    "messages/catalogs.ts": 'import { Widget } from "../components/widget";\nexport const catalogs = { Widget };\n',

    // Composition root, door, infrastructure.
    "lib/server/container.ts": 'import { OAuthError } from "../oauth/errors";\nexport function createContainer() { return { OAuthError }; }\nexport type Container = ReturnType<typeof createContainer>;\n',
    "lib/server/instance.ts": 'import { createContainer } from "./container";\nexport const getContainer = () => createContainer();\n',
    "lib/server/clock.ts": 'import { users } from "../identity/users";\nexport const now = () => users.length;\n',
    "lib/http/routes.ts": 'import { OAuthError } from "../oauth/errors";\nexport const routes = [OAuthError];\n',
    "lib/db/sql.ts": "export const sql = (text: string) => text;\n",
    "lib/security/secrets.ts": "export const secret = 1;\n",
    "lib/security/limits.ts": 'import { OAuthError } from "../oauth/errors";\nexport const limited = new OAuthError();\n',
    "lib/security/limits.test.ts": 'import { OAuthError } from "../oauth/errors";\nexport const tested = OAuthError;\n',

    // Services and protocol.
    "lib/tenancy/branding.ts": 'export const productName = "Authly";\n',
    "lib/identity/users.ts": "export const users: string[] = [];\n",
    "lib/identity/routes-to.ts": 'import { routes } from "../http/routes";\nexport const count = routes.length;\n',
    "lib/oauth/errors.ts": 'import { secret } from "../security/secrets";\nexport class OAuthError extends Error { code = secret; }\n',
    "lib/oauth/cycle-a.ts": 'import { b } from "./cycle-b";\nexport const a = () => b();\n',
    "lib/oauth/cycle-b.ts": 'import { a } from "./cycle-a";\nexport const b = (): unknown => a;\n',
    "lib/oidc/type-a.ts": 'import type { B } from "./type-b";\nexport interface A { b?: B }\n',
    "lib/oidc/type-b.ts": 'import type { A } from "./type-a";\nexport interface B { a?: A }\n',
    "lib/oauth/renders.ts": 'import { Widget } from "../../components/widget";\nexport const rendered = Widget;\n',
    "lib/oauth/acts.ts": 'import { act } from "../../app/actions/act";\nexport const acted = act;\n',
    "lib/oauth/configures.ts": 'import config from "../../i18n/request";\nexport const configured = config;\n',
    "lib/oauth/builds.ts": 'import { createContainer } from "../server/container";\nexport const built = createContainer;\n',
    "lib/oauth/typed-handler.ts": 'import type { Container } from "../server/container";\nexport const handler = (container: Container) => container;\n',
    "lib/oauth/starts.ts": 'import { proxied } from "../../proxy";\nexport const started = proxied;\n',
    "lib/oauth/lonely.ts": "export const lonely = 1;\n",
    "lib/oauth/broken.ts": 'import { missing } from "./missing";\nexport const broken = missing;\n',
    "lib/oauth/undeclared-use.ts": 'import { other } from "undeclared";\nexport const used = other;\n',
    "lib/oauth/dev-use.ts": 'import { tool } from "devtool";\nexport const used = tool;\n',
    "lib/oauth/dev-use.test.ts": 'import { tool } from "devtool";\nexport const tested = tool;\n',
  };

  beforeAll(async () => {
    fixture = mkdtempSync(path.join(tmpdir(), "authly-layers-"));
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(fixture, name)), { recursive: true });
      writeFileSync(path.join(fixture, name), text);
    }
    // The repository's compiler options, with the "@/" alias anchored in the fixture (without a
    // baseUrl the resolver anchors it in the working directory, which is the repository).
    const tsconfig = JSON.parse(readFileSync(path.join(root, "tsconfig.json"), "utf8")) as { compilerOptions: Record<string, unknown> };
    writeFileSync(path.join(fixture, "tsconfig.json"), JSON.stringify({ compilerOptions: { ...tsconfig.compilerOptions, baseUrl: "." } }));
    const result = await cruiseTree(fixture);
    violations = result.summary.violations.map(described).sort();
  }, 120_000);

  afterAll(() => {
    if (fixture) rmSync(fixture, { recursive: true, force: true });
  });

  it("reports every violation under the name of the rule it breaks, and nothing else", () => {
    expect(violations).toEqual(
      [
        // Cycles (one report each), a value one and a type-only one.
        "no-circular: lib/oauth/cycle-a.ts -> lib/oauth/cycle-b.ts",
        "no-circular: lib/oidc/type-a.ts -> lib/oidc/type-b.ts",
        // lib/ below the UI.
        "lib-not-to-app-or-components: lib/oauth/acts.ts -> app/actions/act.ts",
        "lib-not-to-app-or-components: lib/oauth/configures.ts -> i18n/request.ts",
        "lib-not-to-app-or-components: lib/oauth/renders.ts -> components/widget.tsx",
        // Infrastructure, the kernel of lib/server included, below services and protocol.
        "infrastructure-not-to-protocol: lib/security/limits.ts -> lib/oauth/errors.ts",
        "infrastructure-not-to-protocol: lib/server/clock.ts -> lib/identity/users.ts",
        // Services and protocol below the door and the composition root (a type import of the container is allowed).
        "services-not-to-door-or-composition-root: lib/identity/routes-to.ts -> lib/http/routes.ts",
        "services-not-to-door-or-composition-root: lib/oauth/builds.ts -> lib/server/container.ts",
        // i18n core imports only itself.
        "i18n-core-is-a-leaf: i18n/locales.ts -> lib/tenancy/branding.ts",
        "i18n-core-is-a-leaf: messages/catalogs.ts -> components/widget.tsx",
        // No data access in components/, through the "@/" alias or a package.
        "components-no-data-access: components/header.tsx -> lib/server/instance.ts",
        "components-no-data-access: components/query.ts -> lib/db/sql.ts",
        "components-no-data-access: components/rows.ts -> node_modules/pg/index.js",
        "not-to-entry-points: lib/oauth/starts.ts -> proxy.ts",
        "no-orphans: lib/oauth/lonely.ts -> lib/oauth/lonely.ts",
        "not-to-unresolvable: lib/oauth/broken.ts -> ./missing",
        "no-non-package-json: lib/oauth/undeclared-use.ts -> node_modules/undeclared/index.js",
        "not-to-dev-dep: lib/oauth/dev-use.ts -> node_modules/devtool/index.js",
      ].sort(),
    );
  });

  it("exercises every rule of the configuration", async () => {
    const options = await extractDepcruiseOptions(path.join(root, ".dependency-cruiser.cjs"));
    const ruleNames = (options.ruleSet?.forbidden ?? []).map((rule) => rule.name);
    expect(ruleNames.length).toBeGreaterThan(0);
    expect(new Set(violations.map((v) => v.split(":", 1)[0]))).toEqual(new Set(ruleNames));
    // Every rule fails the lint (`depcruise` exits non-zero only on errors).
    expect(new Set(options.ruleSet?.forbidden?.map((rule) => rule.severity))).toEqual(new Set(["error"]));
  });
});

describe("the repository", () => {
  it(
    "has no violation",
    async () => {
      const result = await cruiseTree(root);
      expect(result.summary.violations.map(described)).toEqual([]);
    },
    180_000,
  );
});
