import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ALARMS } from '../../infra/alarm-catalog.js';
import { authorizer, deployFunctions, routes, scheduledFunctions, streamFunctions } from '../../infra/routes.js';
import { DOC_BLOCKS, generatedDocs, routesBlock, tiersBlock } from '../../scripts/docs.js';
import { RATE_TIERS } from '../../shared/kernel/rate-tiers.js';
import { blocksOf, docBlocks, NEEDS_AWS, runnableBlocks, setUpBlock, verdict } from '../support/doc-snippets.js';

/**
 * The docs' blocks that are generated from the code (`npm run docs`) are what the code
 * generates, and the runbook has a section for every alarm.
 */
const ROOT = resolve(import.meta.dirname, '../..');

/** GitHub's anchor for a heading: lower case, spaces to hyphens, most punctuation dropped. */
const anchor = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replaceAll(' ', '-');

describe('generated docs', () => {
  it('are current: every block is what the route table and the alarm catalog generate', () => {
    for (const [file, { committed, generated }] of generatedDocs(ROOT)) {
      expect({ file, current: committed === generated }).toStrictEqual({ file, current: true });
    }
    const blocks = DOC_BLOCKS.map(({ file, marker }) => `${file}#${marker}`);
    expect(blocks).toStrictEqual(['docs/deploy.md#routes', 'docs/operations.md#alarms', 'docs/rate-limiting.md#tiers']);
  });

  it('list every rate tier, and the values each holds, from the ladder', () => {
    const block = tiersBlock();
    expect(block).toContain(`${RATE_TIERS.length} tiers`);
    expect(block).toContain('| 23 | 23–28 | 17.9 % |');
    expect(block).toContain('| 2711 | 2711–3000 | 9.6 % |');
    expect(block).not.toContain('3389');
  });

  it('list every route and every function of the stack', () => {
    const block = routesBlock();
    for (const { id, method, path } of routes) {
      const row = `| ${method} | \`${path}\` | \`${id}\``;
      expect({ id, listed: block.includes(row) }).toStrictEqual({ id, listed: true });
    }
    for (const { id } of [authorizer, ...scheduledFunctions, ...deployFunctions, ...streamFunctions]) {
      expect({ id, listed: block.includes(`| \`${id}\` |`) }).toStrictEqual({ id, listed: true });
    }
  });

  it('give every alarm a section of the runbook', () => {
    const runbook = readFileSync(resolve(ROOT, 'docs/operations.md'), 'utf8');
    const sections = new Set([...runbook.matchAll(/^### (.+)$/gm)].map(([, heading]) => anchor(heading!)));
    for (const { runbook: section } of Object.values(ALARMS)) {
      expect({ section, found: sections.has(section) }).toStrictEqual({ section, found: true });
    }
  });
});

describe('the shell blocks of the README and docs/', () => {
  const blocks = docBlocks(ROOT);
  const setUp = setUpBlock(blocks);

  it('are each run against npm start or marked as needing AWS: none is neither', () => {
    const verdicts = blocks.map((block) => ({ at: `${block.file}:${block.line}`, verdict: verdict(block, setUp) }));
    const problems = verdicts.filter(({ verdict }) => typeof verdict === 'object');
    expect(problems).toStrictEqual([]);
    // The README's set-up lines are what the suite itself does; they are the only ones neither run nor marked.
    expect(setUp).toMatchObject({ file: 'README.md', line: 3 });
    expect(verdicts.filter(({ verdict }) => verdict === 'set-up')).toStrictEqual([
      { at: 'README.md:3', verdict: 'set-up' },
    ]);
    const run = runnableBlocks(blocks);
    // The walkthrough first: every other block continues from it.
    expect(run[0]?.code.startsWith('API=http://127.0.0.1:3000\n')).toBe(true);
    const marked = blocks.filter((block) => verdict(block, setUp) === 'needs aws');
    const shell = blocks.filter((block) => block.lang === 'sh' || block.lang === 'bash');
    expect(run.length + marked.length + 1).toBe(shell.length);
    expect(run.length).toBeGreaterThanOrEqual(10);
  });

  it('are found wherever they are, and a way around the runner is refused', () => {
    const text = [
      '```sh',
      'npm ci && npm start',
      'npm ci && npm test',
      '```',
      '- a list item:',
      '',
      '  ```bash',
      '  curl -s "$API/health"',
      '  ```',
      NEEDS_AWS,
      '',
      '```sh',
      'npm run deploy',
      '```',
      '<!-- needs: nothing -->',
      '```sh',
      'echo hi',
      '```',
      '```console',
      '$ npm run reconcile',
      '```',
      '```',
      '$ npm run reconcile',
      '```',
      NEEDS_AWS,
      '```json',
      '{}',
      '```',
    ].join('\n');
    const found = blocksOf('README.md', text);
    const setUpHere = setUpBlock(found);
    expect(found.map((block) => [block.line, block.lang, verdict(block, setUpHere)])).toStrictEqual([
      [1, 'sh', 'set-up'],
      [7, 'bash', 'run'],
      [12, 'sh', 'needs aws'],
      [16, 'sh', { problem: 'an unknown marker before a block: <!-- needs: nothing -->' }],
      [19, 'console', { problem: expect.stringMatching(/^shell under another name/) }],
      [22, '', { problem: expect.stringMatching(/^shell under another name/) }],
      [26, 'json', { problem: `${NEEDS_AWS} before a block that is not shell` }],
    ]);
    expect(found[1]!.code).toBe('curl -s "$API/health"\n');
    // Set-up lines that run anything more are not set-up lines.
    const more = blocksOf('README.md', '```sh\nnpm ci && npm start\nnpm ci && npm test\nrm -rf .local\n```\n');
    expect(verdict(more[0]!, setUpBlock(more))).toBe('run');
  });
});
