import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
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
 * The modules a function loads only when it first needs them, each a file of its own beside
 * `index.mjs`, which the bundle imports by `importPath` (see `shared/ratelimit/api-gateway.mts`,
 * `sqs.mts`, and `shared/runtime/jwt-verifier.mts`, `credential-chain.mts`): API Gateway's
 * SDK for the functions that call its control plane, SQS's for those that queue key changes,
 * jose for the authorizer's first JWT, and the SDK's credential chain for a function whose
 * environment holds no credentials. Every bundle leaves each `importPath` external, as
 * written; each is imported only from its own folder, by that path, so the path is right
 * beside the bundle too, and a bundle gets the files it imports (`finishBundles`).
 */
export const SDK_MODULES = [
  { source: 'shared/ratelimit/api-gateway.mts', importPath: './api-gateway.mjs', file: 'api-gateway.mjs' },
  { source: 'shared/ratelimit/sqs.mts', importPath: './sqs.mjs', file: 'sqs.mjs' },
  { source: 'shared/runtime/jwt-verifier.mts', importPath: './jwt-verifier.mjs', file: 'jwt-verifier.mjs' },
  { source: 'shared/runtime/credential-chain.mts', importPath: './credential-chain.mjs', file: 'credential-chain.mjs' },
] as const;
export const [API_GATEWAY_MODULE, SQS_MODULE, , CREDENTIAL_CHAIN] = SDK_MODULES;

/**
 * What every bundle takes for the SDK's default credential chain: the environment's
 * credentials, where Lambda puts a function's, and the chain itself (`CREDENTIAL_CHAIN`)
 * from its file beside the bundle only without them (`shared/runtime/lambda-credentials.ts`).
 */
const CREDENTIALS_ALIAS = {
  '@aws-sdk/credential-provider-node': resolve(import.meta.dirname, '../../shared/runtime/lambda-credentials.ts'),
};

/** Imported by every bundle: its stack traces through its source map, read on first use. */
const STACK_TRACES = resolve(import.meta.dirname, '../../shared/runtime/stack-traces.ts');

/** An SDK file as an esbuild entry point: its output's name under `folder` (esbuild adds `.mjs`), and its source. */
const sdkEntry = (projectRoot: string, folder: string, module: (typeof SDK_MODULES)[number]) =>
  [`${folder}/${module.file.replace(/\.mjs$/, '')}`, resolve(projectRoot, module.source)] as const;

/**
 * The SDK files as entry points of the build that makes the bundles, under `folder` of its
 * outdir: all but the credential chain, which `credentialChainBuild` makes without the alias.
 */
export const sdkModuleEntries = (projectRoot: string, folder: string): Record<string, string> =>
  Object.fromEntries(
    SDK_MODULES.filter((module) => module !== CREDENTIAL_CHAIN).map((module) => sdkEntry(projectRoot, folder, module)),
  );

/** The build of the credential chain's file, into `folder` of `outdir`, beside the other SDK files. */
export const credentialChainBuild = (projectRoot: string, outdir: string, folder: string) => ({
  ...esbuildOptions(LAMBDA_BUNDLING.bundleAwsSdk, { credentialsAlias: false }),
  entryPoints: Object.fromEntries([sdkEntry(projectRoot, folder, CREDENTIAL_CHAIN)]),
  outdir,
  outExtension: { '.js': '.mjs' },
});

/**
 * What a build does once esbuild has written the bundles (folders holding their `index.mjs`)
 * and the SDK files (`sdkFolder`, at the bundles' depth): every map's sources made relative
 * to the project (`shared/auth/jwt.ts`), so that a stack trace names a file the same way
 * wherever the bundle was built; then, beside each bundle, the SDK files it imports and their
 * maps (esbuild leaves each import path as written, so the bundle's text says which). The SDK
 * files' maps are rewritten before they are copied: once, not once per bundle carrying one.
 */
export function finishBundles(projectRoot: string, sdkFolder: string, bundleFolders: string[]): void {
  if (LAMBDA_BUNDLING.sourceMap) rebaseSourceMaps(projectRoot, [sdkFolder, ...bundleFolders]);
  for (const folder of bundleFolders) {
    const bundle = readFileSync(join(folder, 'index.mjs'), 'utf8');
    for (const { file, importPath } of SDK_MODULES) {
      if (!bundle.includes(`"${importPath}"`)) continue;
      for (const name of LAMBDA_BUNDLING.sourceMap ? [file, `${file}.map`] : [file])
        copyFileSync(join(sdkFolder, name), join(folder, name));
    }
  }
}

function rebaseSourceMaps(projectRoot: string, folders: string[]): void {
  for (const folder of folders)
    for (const name of readdirSync(folder).filter((file) => file.endsWith('.map'))) {
      const map = JSON.parse(readFileSync(join(folder, name), 'utf8')) as { sources: string[] };
      map.sources = map.sources.map((source) => relative(projectRoot, resolve(folder, source)));
      writeFileSync(join(folder, name), JSON.stringify(map));
    }
}

/**
 * `LAMBDA_BUNDLING` as esbuild's options: the stack's one build of every function
 * (function-bundles.ts), and the cold-start benchmark's. A bundled SDK takes
 * `lambda-credentials.ts` for its credential chain, except in the chain's own build.
 */
export function esbuildOptions(
  bundleAwsSdk: boolean = LAMBDA_BUNDLING.bundleAwsSdk,
  { credentialsAlias = true }: { credentialsAlias?: boolean } = {},
) {
  return {
    bundle: true,
    platform: 'node',
    format: LAMBDA_BUNDLING.format,
    target: LAMBDA_BUNDLING.target,
    mainFields: [...LAMBDA_BUNDLING.mainFields],
    banner: { js: LAMBDA_BUNDLING.banner },
    minify: LAMBDA_BUNDLING.minify,
    // 'linked': the map in a file of its own, which the bundle names.
    sourcemap: LAMBDA_BUNDLING.sourceMap ? ('linked' as const) : false,
    sourcesContent: false,
    // The source maps read on the first stack trace, not at every cold start (see the file).
    inject: [STACK_TRACES],
    external: [...(bundleAwsSdk ? [] : ['@aws-sdk/*']), ...SDK_MODULES.map((module) => module.importPath)],
    ...(bundleAwsSdk && credentialsAlias ? { alias: CREDENTIALS_ALIAS } : {}),
    logLevel: 'warning',
  } satisfies BuildOptions;
}

/** Memory of every function, MB: CPU scales with it, and JWT verification and bundles load faster with it. */
export const FUNCTION_MEMORY_MB = 512;
