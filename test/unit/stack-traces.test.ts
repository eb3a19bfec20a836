import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { buildSync, transformSync } from 'esbuild';

/**
 * A bundle's stack traces: each frame of a file with a map beside it in the source's file,
 * line, column and function name, the map read at the first trace (not when the file loads),
 * and every other frame as V8 writes it.
 */
const SOURCE = `export function parseNetwork(text) {
  if (!text.includes('/')) throw new TypeError('not a network: ' + text);
  return text;
}
export function readNetworks(list) {
  return list.map((text) => parseNetwork(text));
}
`;
type Networks = { readNetworks: (list: string[]) => string[] };

let folder: string;
let saved: typeof Error.prepareStackTrace;

beforeAll(async () => {
  saved = Error.prepareStackTrace;
  await import('../../shared/runtime/stack-traces.js');
  folder = mkdtempSync(join(tmpdir(), 'stack-traces-'));
});
afterAll(() => {
  Error.prepareStackTrace = saved;
  rmSync(folder, { recursive: true, force: true });
});

/** The source minified as a bundle is, into `name`, with its map beside it unless `map` is false. */
function bundled(name: string, { map = true } = {}) {
  const built = transformSync(SOURCE, {
    format: 'esm',
    minify: true,
    sourcemap: 'external',
    sourcefile: 'shared/example/networks.ts',
  });
  const file = join(folder, name);
  writeFileSync(file, `${built.code}//# sourceMappingURL=${name}.map\n`);
  return { file, writeMap: () => writeFileSync(`${file}.map`, map ? built.map : '{ not a map') };
}

function failure(networks: Networks): string {
  try {
    networks.readNetworks(['10.0.0.0/8', 'nowhere']);
  } catch (error) {
    return (error as Error).stack!;
  }
  throw new Error('expected readNetworks to throw');
}

describe('stack traces of a bundle', () => {
  it('names the source’s file, line, column and function, with the map read at the first trace', async () => {
    const { file, writeMap } = bundled('late.mjs');
    const networks = (await import(pathToFileURL(file).href)) as Networks;
    // The map exists only once the file has loaded: nothing reads it before a trace.
    writeMap();
    const [header, first, second] = failure(networks).split('\n');
    expect(header).toBe('TypeError: not a network: nowhere');
    expect(first).toBe('    at parseNetwork (shared/example/networks.ts:2:34)');
    expect(second).toMatch(/^ {4}at shared\/example\/networks\.ts:6:29$/);
  });

  it('leaves a file without a readable map as V8 writes it, and still formats the trace', async () => {
    const { file, writeMap } = bundled('unmapped.mjs', { map: false });
    writeMap();
    const networks = (await import(pathToFileURL(file).href)) as Networks;
    const [header, first] = failure(networks).split('\n');
    expect(header).toBe('TypeError: not a network: nowhere');
    // Named as the runner loaded it: by URL in Node, by path under jest.
    const names = `(?:${pathToFileURL(file).href}|${file})`;
    expect(first).toMatch(new RegExp(`^ {4}at \\w+ \\(${names}:1:\\d+\\)$`));
    expect(first).not.toContain('parseNetwork');
  });

  it('keeps the first copy installed when a file loaded on first use brings its own', async () => {
    const installed = Error.prepareStackTrace;
    const copy = join(folder, 'copy.mjs');
    const source = fileURLToPath(new URL('../../shared/runtime/stack-traces.ts', import.meta.url));
    buildSync({
      entryPoints: [source],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: copy,
    });
    await import(pathToFileURL(copy).href);
    expect(Error.prepareStackTrace).toBe(installed);
  });

  it('leaves frames of files that are not bundles alone', () => {
    const stack = new Error('here').stack!.split('\n');
    expect(stack[0]).toBe('Error: here');
    expect(stack[1]).toContain('stack-traces.test.ts');
  });
});
