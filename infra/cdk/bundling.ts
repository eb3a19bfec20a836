import type { BuildOptions } from 'esbuild';

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

/**
 * The API Gateway SDK: in the bundle of each function that calls API Gateway, a file of
 * its own beside `index.mjs`, which the bundle imports when it first needs it (see
 * `shared/ratelimit/api-gateway.mts`). Every bundle leaves `importPath` external, as
 * written; it is imported only from `shared/ratelimit/`, by that path, so the path is
 * right beside the bundle too.
 */
export const API_GATEWAY_MODULE = {
  source: 'shared/ratelimit/api-gateway.mts',
  importPath: './api-gateway.mjs',
  file: 'api-gateway.mjs',
} as const;

/**
 * `LAMBDA_BUNDLING` as esbuild's options: the stack's one build of every function
 * (function-bundles.ts), and the cold-start benchmark's.
 */
export function esbuildOptions(bundleAwsSdk: boolean = LAMBDA_BUNDLING.bundleAwsSdk) {
  return {
    bundle: true,
    platform: 'node',
    format: LAMBDA_BUNDLING.format,
    target: LAMBDA_BUNDLING.target,
    mainFields: [...LAMBDA_BUNDLING.mainFields],
    banner: { js: LAMBDA_BUNDLING.banner },
    minify: LAMBDA_BUNDLING.minify,
    // 'linked': the map in a file of its own, which the bundle names, for --enable-source-maps to find.
    sourcemap: LAMBDA_BUNDLING.sourceMap ? ('linked' as const) : false,
    sourcesContent: false,
    external: bundleAwsSdk ? [] : ['@aws-sdk/*'],
    logLevel: 'warning',
  } satisfies BuildOptions;
}

/** Memory of every function, MB: CPU scales with it, and JWT verification and bundles load faster with it. */
export const FUNCTION_MEMORY_MB = 512;

/** `NODE_OPTIONS` of every function: stack traces through the source maps. */
export const LAMBDA_NODE_OPTIONS = '--enable-source-maps';
