// Flat config: typescript-eslint recommended rules over every TypeScript file in the repo.
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "node_modules/**",
      "**/node_modules/**",
      "bin/**",
      "provider/bin/**",
      "dist/**",
      ".fleetgate/**",
    ],
  },
  ...tseslint.configs.recommended,
  {
    files: ["**/*.js"],
    languageOptions: {
      sourceType: "commonjs",
      globals: {
        require: "readonly",
        module: "writable",
        process: "readonly",
        console: "readonly",
        __dirname: "readonly",
      },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // Dynamic providers must `require` heavy libraries inside their methods (closure serialization).
      "@typescript-eslint/no-require-imports": "off",
    },
  },
);
