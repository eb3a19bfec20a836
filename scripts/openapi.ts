import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openApiDocument } from '../infra/openapi.js';

/**
 * `npm run openapi`: writes docs/openapi.json from the route table and the schemas.
 * `npm run openapi -- --check`: fails if the committed document is not what the code
 * generates (CI runs it, so a stale contract cannot land).
 */
const FILE = resolve(import.meta.dirname, '../docs/openapi.json');
const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
const generated = `${JSON.stringify(openApiDocument(), null, 2)}\n`;

if (values.check) {
  let committed = '';
  try {
    committed = readFileSync(FILE, 'utf8');
  } catch {
    // Missing counts as stale.
  }
  if (committed !== generated) {
    console.error(
      'docs/openapi.json is not what the route table and schemas generate: run npm run openapi and commit it.',
    );
    process.exit(1);
  }
  console.log('docs/openapi.json is up to date.');
} else {
  writeFileSync(FILE, generated);
  console.log(`Wrote ${FILE}`);
}
