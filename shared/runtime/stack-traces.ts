import { readFileSync } from 'node:fs';
import { SourceMap, type SourceMapping } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * A bundle's stack traces in the source's terms (`shared/tokens/create-token.ts:88:11`), with
 * its source map read when a trace is first formatted instead of when the bundle loads. Every
 * bundle imports this file (esbuild's `inject`, `infra/cdk/bundling.ts`), so it runs in
 * bundles only: under tsx and jest the sources are what runs.
 *
 * Node's `--enable-source-maps` reads and parses every linked map as its module loads: measured
 * on these bundles, 13 ms of the baseline's cold start and 25 ms of a token create's, paid by
 * every container whether or not it ever formats a trace. Here the first trace a container
 * formats pays it once, for the files its frames name; Lambda formats one only when a function
 * logs an error or fails.
 *
 * Each bundled file's map is the file beside it with `.map` added, as every bundle links it.
 */
const maps = new Map<string, SourceMap | undefined>();

function mapOf(file: string): SourceMap | undefined {
  if (!maps.has(file)) maps.set(file, readMap(file));
  return maps.get(file);
}

function readMap(file: string): SourceMap | undefined {
  if (!/\.m?js$/.test(file) || file.startsWith('node:')) return undefined;
  try {
    const path = file.startsWith('file:') ? fileURLToPath(file) : file;
    return new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8')));
  } catch {
    // No map beside it (or an unreadable one): the frame stays as the bundle has it.
    return undefined;
  }
}

/** The source's position of a bundle's `line` and `column` (1-based, as frames count), if its map knows it. */
function entryAt(map: SourceMap, line: number | null, column: number | null) {
  if (line === null || column === null) return undefined;
  const entry = map.findEntry(line - 1, column - 1);
  // Node answers the mapping's `name` too (its types do not say so yet).
  return 'originalSource' in entry ? (entry as SourceMapping & { name?: string }) : undefined;
}

/**
 * One frame as V8 writes it, with the bundle's position replaced by the source's, and a
 * minified function's name by its own: the name the map gives the function's start, or else
 * the name its caller called it by (`caller`, the next frame), as Node's own mapping does.
 */
function sourceFrame(site: NodeJS.CallSite, caller?: NodeJS.CallSite): string {
  const text = site.toString();
  const [file, line, column] = [site.getFileName(), site.getLineNumber(), site.getColumnNumber()];
  const map = file ? mapOf(file) : undefined;
  const entry = map && entryAt(map, line, column);
  if (!map || !entry) return text;
  // The map's sources are the project's paths (`finishBundles`, infra/cdk/bundling.ts).
  const { originalSource: source, originalLine: sourceLine, originalColumn: sourceColumn } = entry;
  const mapped = text.replace(`${file}:${line}:${column}`, `${source}:${sourceLine + 1}:${sourceColumn + 1}`);
  const minified = site.getFunctionName();
  const name =
    entryAt(map, site.getEnclosingLineNumber(), site.getEnclosingColumnNumber())?.name ||
    (caller?.getFileName() === file ? entryAt(map, caller.getLineNumber(), caller.getColumnNumber())?.name : '');
  if (!minified || !name || name === minified) return mapped;
  // Only the name before the location: `async T (…)`, `Xe.T [as get] (…)`.
  const at = mapped.lastIndexOf(`${minified} `, mapped.indexOf(' ('));
  return at < 0 ? mapped : `${mapped.slice(0, at)}${name}${mapped.slice(at + minified.length)}`;
}

/** V8's own layout: the error's `name: message`, then one `at` line per frame. */
function formatStack(error: unknown, sites: NodeJS.CallSite[]): string {
  let header: string;
  try {
    header = Error.prototype.toString.call(error);
  } catch {
    header = 'Error';
  }
  return [header, ...sites.map((site, i) => `    at ${sourceFrame(site, sites[i + 1])}`)].join('\n');
}

// The files loaded on first use (`SDK_MODULES`) are bundles too, each with its own copy of this
// file: the first copy installed stays, so that a map already read is not read again.
const INSTALLED = Symbol.for('service-account-tokens.stack-traces');
if (!(INSTALLED in globalThis)) {
  Object.defineProperty(globalThis, INSTALLED, { value: true });
  Error.prepareStackTrace = formatStack;
}
