/**
 * How every Lambda is bundled, shared by the stack and the cold-start benchmark so that
 * what is measured is what is deployed.
 */
export const LAMBDA_BUNDLING = {
  format: 'esm',
  // Prefer the ESM build of dual packages, so tree-shaking has something to shake.
  mainFields: ['module', 'main'],
  /**
   * Bundled ESM can still meet CommonJS dependencies that call `require` for Node
   * built-ins; esbuild's ESM shim throws on that unless a real `require` exists in
   * module scope.
   */
  banner: "import { createRequire } from 'node:module';const require = createRequire(import.meta.url);",
  minify: true,
  sourceMap: true,
  target: 'node24',
  /** Measured by `npm run bench`: see docs/performance.md. */
  bundleAwsSdk: true,
} as const;

/** Memory of every function, MB: CPU scales with it, and JWT verification and bundles load faster with it. */
export const FUNCTION_MEMORY_MB = 512;

/** `NODE_OPTIONS` of every function: stack traces through the source maps. */
export const LAMBDA_NODE_OPTIONS = '--enable-source-maps';
