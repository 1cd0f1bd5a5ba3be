// The layer rules of the codebase (docs/layers.md), checked by `npm run lint`:
//   depcruise --config .dependency-cruiser.cjs lib app components i18n messages server.ts proxy.ts bin scripts
// lib/layers.test.ts shows that every rule fires on a deliberate violation and that the tree has none.
//
// Paths are relative to the repository root. A folder that hosts two layers (lib/server, lib/http,
// i18n) is split by file name: the lists below are the one place that says which file is where.

/** Unit tests sit beside their module and may import whatever they test (nothing imports them). */
const test = "\\.test\\.tsx?$";

/** Started by a person or a platform, never imported: the production server, the Next.js proxy, the CLI, npm scripts. */
const entryPoint = "^(server\\.ts|proxy\\.ts|bin/|scripts/)";

/** Locales, their negotiation, formats and message catalogues: pure data and functions, imported from every layer. */
const i18nCore = "^(i18n/(locales|negotiate-locale|formats)\\.ts$|messages/)";

/** What every service stands on: configuration, storage, cache, security primitives, logging, time. */
const infrastructure = [
  "^lib/(config|db|cache|security|observability|generated)/",
  // lib/server holds the composition root and the small kernel every layer uses (clock, errors, deferred work, scheduler).
  "^lib/server/(?!(container|instance|first-start|startup-errors)\\.ts$)",
];

/** Builds the services and runs them: the composition root and the command line. */
const compositionRoot = ["^lib/server/(container|instance|first-start|startup-errors)\\.ts$", "^lib/cli/"];

/** The protocol door: the route table and what dispatches to it (it imports every handler). */
const door = "^lib/http/(routes|pipeline|node-door|next-route)\\.ts$";

/**
 * Services and protocol: every other folder of lib/ (identity, sessions, consent, clients, scopes, keys,
 * audit, tenancy, mail, account, oauth, oidc, operations) and the rest of lib/http (responses, route
 * types, input rules, the helpers of both doors).
 */
const servicesAndProtocol = {
  path: "^lib/",
  pathNot: [...infrastructure, ...compositionRoot, door],
};

/** The user interface: Next.js pages, routes and server actions, UI components, next-intl's request configuration. */
const ui = "^(app/|components/|i18n/request\\.ts$)";

/** Modules and packages that reach data: the database, the Prisma client, Redis, and the process's container. */
const dataAccess = [
  "^lib/db/",
  "^lib/generated/prisma/",
  "^lib/server/(instance|container)\\.ts$",
  "^node_modules/(@prisma/client|@prisma/adapter-pg|pg|ioredis|@electric-sql/pglite|pglite-prisma-adapter)/",
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "No import cycles, type-only imports included: move the shared type to the module that owns it.",
      from: {},
      to: { circular: true },
    },
    {
      name: "lib-not-to-app-or-components",
      severity: "error",
      comment:
        "lib/ never imports the UI: app/ (pages, routes, server actions), components/, or next-intl's request " +
        "configuration (i18n/request.ts). The UI depends on lib, not the reverse.",
      from: { path: "^lib/", pathNot: test },
      to: { path: ui },
    },
    {
      name: "infrastructure-not-to-protocol",
      severity: "error",
      comment:
        "Infrastructure (lib/config, db, cache, security, observability, the kernel of lib/server) imports only " +
        "infrastructure and i18n core: never services, protocol modules (lib/oauth, lib/oidc, ...), the doors or the composition root.",
      from: { path: infrastructure, pathNot: test },
      to: { path: "^(lib|app|components|i18n|messages)/", pathNot: [...infrastructure, i18nCore] },
    },
    {
      name: "services-not-to-door-or-composition-root",
      severity: "error",
      comment:
        "Services and protocol modules never import the protocol door (routes, pipeline), the composition root or the CLI: " +
        "they get their dependencies passed in. A route handler may still name the Container type (RouteContext) " +
        "until every handler declares narrow dependencies; a type import that closes a cycle fails no-circular.",
      from: { ...servicesAndProtocol, pathNot: [...servicesAndProtocol.pathNot, test] },
      to: { path: [...compositionRoot, door], dependencyTypesNot: ["type-only"] },
    },
    {
      name: "i18n-core-is-a-leaf",
      severity: "error",
      comment: "Locales, negotiation, formats and message catalogues import only each other (and packages): every layer may use them.",
      from: { path: i18nCore, pathNot: test },
      to: { path: "^(lib|app|components|i18n|messages)/", pathNot: i18nCore },
    },
    {
      name: "components-no-data-access",
      severity: "error",
      comment:
        "components/ has no data access: no database, Prisma client, Redis or container. The page or layout in app/ " +
        "reads the data and passes it as props.",
      from: { path: "^components/", pathNot: test },
      to: { path: dataAccess },
    },
    {
      name: "not-to-entry-points",
      severity: "error",
      comment: "server.ts, proxy.ts, bin/ and scripts/ are started, never imported (except by one another).",
      from: { pathNot: [entryPoint, test] },
      to: { path: entryPoint },
    },
    {
      name: "no-orphans",
      severity: "error",
      comment: "A module nothing imports and that imports nothing is dead code (entry points and Next.js route files excepted).",
      from: {
        orphan: true,
        pathNot: [
          entryPoint,
          "\\.d\\.ts$",
          // Next.js finds these by name.
          "^app/(|.*/)(page|layout|route|not-found|error|loading|template|default)\\.tsx?$",
          "^i18n/request\\.ts$",
        ],
      },
      to: {},
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      comment: "Every import resolves to a file or an installed package.",
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: "no-non-package-json",
      severity: "error",
      comment: "A package imported by the code is declared in package.json (not only installed because something else needs it).",
      from: {},
      to: { dependencyTypes: ["npm-no-pkg", "npm-unknown"] },
    },
    {
      name: "not-to-dev-dep",
      severity: "error",
      comment: "Code that runs in production does not import devDependencies (tests may).",
      from: { path: "^(lib|app|components|i18n|messages|server\\.ts|proxy\\.ts|bin)", pathNot: test },
      to: { dependencyTypes: ["npm-dev"], dependencyTypesNot: ["type-only"] },
    },
  ],
  options: {
    // The generated Prisma client is a dependency like a package: seen, not cruised.
    doNotFollow: { path: ["node_modules", "^lib/generated/"] },
    exclude: { path: "^\\.next/" },
    // Type-only imports are dependencies too: a cycle through `import type` is still a cycle.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      mainFields: ["module", "main", "types", "typings"],
    },
    skipAnalysisNotInRules: true,
    cache: { folder: "node_modules/.cache/dependency-cruiser", strategy: "content" },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};


