import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ALARMS } from '../../infra/alarm-catalog.js';
import { authorizer, deployFunctions, routes, scheduledFunctions, streamFunctions } from '../../infra/routes.js';
import { DOC_BLOCKS, generatedDocs, routesBlock } from '../../scripts/docs.js';

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
    expect(blocks).toStrictEqual(['docs/deploy.md#routes', 'docs/operations.md#alarms']);
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
