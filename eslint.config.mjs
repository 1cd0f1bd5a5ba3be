// ESLint flat config: Next.js (core web vitals + TypeScript) rules for the whole repository.
import nextCoreWebVitals from "eslint-config-next/core-web-vitals";
import nextTypeScript from "eslint-config-next/typescript";

// eslint-config-next registers eslint-plugin-jsx-a11y but enables only a handful of its rules.
// Authly's pages are sign-in and consent screens that must be accessible, so the UI gets the
// plugin's full recommended set. The plugin object is taken from Next's config, so we don't
// depend on a package that is only installed transitively.
const jsxA11y = nextCoreWebVitals.find((config) => config.plugins?.["jsx-a11y"])?.plugins["jsx-a11y"];
if (!jsxA11y) throw new Error("eslint-config-next no longer registers eslint-plugin-jsx-a11y");

const config = [
  {
    ignores: [
      ".next/**",
      "dist/**",
      "node_modules/**",
      "lib/generated/**",
      "data/**",
      ".tmp/**",
      "test-results/**",
      "playwright-report/**",
      "coverage/**",
      "next-env.d.ts",
    ],
  },
  ...nextCoreWebVitals,
  ...nextTypeScript,
  {
    name: "authly/ui-accessibility",
    files: ["app/**/*.tsx", "components/**/*.tsx"],
    rules: {
      ...jsxA11y.flatConfigs.recommended.rules,
    },
  },
  {
    name: "authly/typescript",
    rules: {
      // Allow deliberately unused arguments and destructured rest siblings when prefixed with "_".
      "@typescript-eslint/no-unused-vars": [
        "warn",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
    },
  },
];

export default config;
