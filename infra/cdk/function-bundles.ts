import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Stack, Stage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { buildSync } from 'esbuild';
import {
  authorizer,
  deployFunctions,
  entryOf,
  queueFunctions,
  routes,
  scheduledFunctions,
  streamFunctions,
} from '../routes.js';
import { credentialChainBuild, esbuildOptions, finishBundles, sdkModuleEntries } from './bundling.js';

/** Every function the route table declares: the stack makes one Lambda of each. */
const FUNCTION_IDS = [
  ...routes.map((route) => route.id),
  authorizer.id,
  ...deployFunctions.map((fn) => fn.id),
  ...scheduledFunctions.map((fn) => fn.id),
  ...queueFunctions.map((fn) => fn.id),
  ...streamFunctions.map((fn) => fn.id),
];

/**
 * Where a bundle is built: beside the assets, in a folder at the depth of an asset's own, so
 * that the source map's relative paths still hold in the staged copy.
 */
const FOLDER = 'bundling-function.';
const SDKS = `${FOLDER}sdk-modules`;

/** The synthesis folders (`assetOutdir`) this process has built the bundles in. */
const built = new Set<string>();

/**
 * Builds every function's bundle in one esbuild run, an entry point per function: each output
 * is whole, byte for byte what a build of its own makes, but the modules the functions share
 * are parsed once, not once per function (docs/performance.md). Each SDK file loaded on first
 * use (`SDK_MODULES`) is one more entry, copied beside the bundles that import it; the
 * credential chain's is built apart (`credentialChainBuild`).
 */
function buildAll(projectRoot: string, outdir: string): void {
  // A folder left by an earlier synthesis could hold a file this one would not write.
  for (const id of [...FUNCTION_IDS, 'sdk-modules'])
    rmSync(join(outdir, `${FOLDER}${id}`), { recursive: true, force: true });
  buildSync({
    ...esbuildOptions(),
    entryPoints: {
      ...Object.fromEntries(FUNCTION_IDS.map((id) => [`${FOLDER}${id}/index`, resolve(projectRoot, entryOf(id))])),
      ...sdkModuleEntries(projectRoot, SDKS),
    },
    outdir,
    outExtension: { '.js': '.mjs' },
    absWorkingDir: projectRoot,
  });
  buildSync({ ...credentialChainBuild(projectRoot, outdir, SDKS), absWorkingDir: projectRoot });
  const folders = FUNCTION_IDS.map((id) => join(outdir, `${FOLDER}${id}`));
  finishBundles(projectRoot, join(outdir, SDKS), folders);
  rmSync(join(outdir, SDKS), { recursive: true, force: true });
  built.add(outdir);
}

/**
 * A function's code: its bundle from the synthesis' one esbuild run (the first function
 * asked for builds them all), or `undefined` for a stack synthesized without bundling
 * (context `aws:cdk:bundling-stacks`), which NodejsFunction then skips as it always has.
 */
export function functionBundle(scope: IConstruct, id: string, projectRoot: string): lambda.Code | undefined {
  if (!Stack.of(scope).bundlingRequired) return undefined;
  if (!FUNCTION_IDS.includes(id)) throw new Error(`No function ${id} in the route table`);
  const outdir = Stage.of(scope)!.assetOutdir;
  const folder = join(outdir, `${FOLDER}${id}`);
  if (!built.has(outdir) || !existsSync(folder)) buildAll(projectRoot, outdir);
  return lambda.Code.fromAsset(folder);
}

/**
 * Removes a function's build once the function has staged its asset (a copy, named by its
 * hash), unless asset staging is off (as for SAM), where the asset is the build itself.
 */
export function releaseBundle(scope: IConstruct, id: string): void {
  if (!Stack.of(scope).bundlingRequired || scope.node.tryGetContext('aws:cdk:disable-asset-staging')) return;
  rmSync(join(Stage.of(scope)!.assetOutdir, `${FOLDER}${id}`), { recursive: true, force: true });
}
