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
 * `LAMBDA_BUNDLING` as esbuild's options, for a bundle built outside NodejsFunction's own
 * step: the cold-start benchmark's, and the API Gateway SDK's file.
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
    sourcemap: LAMBDA_BUNDLING.sourceMap ? ('external' as const) : false,
    sourcesContent: false,
    external: bundleAwsSdk ? [] : ['@aws-sdk/*'],
    logLevel: 'warning',
  } satisfies BuildOptions;
}

/** The same options as esbuild's command-line flags (a bundling hook runs commands). */
export function esbuildFlags(): string[] {
  const options = esbuildOptions();
  return [
    '--bundle',
    `--platform=${options.platform}`,
    `--format=${options.format}`,
    `--target=${options.target}`,
    `--main-fields=${options.mainFields.join(',')}`,
    `--banner:js=${options.banner.js}`,
    ...(options.minify ? ['--minify'] : []),
    // 'external': the map in a file of its own, which esbuild's bare --sourcemap writes.
    ...(options.sourcemap ? ['--sourcemap'] : []),
    `--sources-content=${options.sourcesContent}`,
    ...options.external.map((pattern) => `--external:${pattern}`),
    `--log-level=${options.logLevel}`,
  ];
}

/** Memory of every function, MB: CPU scales with it, and JWT verification and bundles load faster with it. */
export const FUNCTION_MEMORY_MB = 512;

/** `NODE_OPTIONS` of every function: stack traces through the source maps. */
export const LAMBDA_NODE_OPTIONS = '--enable-source-maps';
