import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ALARMS } from '../infra/alarm-catalog.js';
import {
  authorizer,
  deployFunctions,
  queueFunctions,
  routes,
  scheduledFunctions,
  streamFunctions,
} from '../infra/routes.js';
import { RATE_TIERS, TOKEN_MAX_RPS } from '../shared/kernel/rate-tiers.js';
import { replaceBetween } from './doc-blocks.js';

/**
 * `npm run docs`: writes the blocks of docs/deploy.md (the routes and functions) and
 * docs/operations.md (the alarms) from the route table and the alarm catalog.
 * `npm run docs -- --check`: fails if a committed block is not what the code generates
 * (CI runs it, and a unit test does too).
 */

const ROOT = resolve(import.meta.dirname, '..');
const code = (text: string) => `\`${text}\``;

/** Every route with its function and who may call it, then every function no route calls. */
export function routesBlock(): string {
  const caller = (route: (typeof routes)[number]) => {
    if (route.auth === 'authenticated') return 'the authorizer, then the token’s API key';
    return route.throttle ? 'anyone (a method throttle and a per-address web ACL limit of its own)' : 'anyone';
  };
  const routeRow = (route: (typeof routes)[number]) => {
    const fn = `${code(route.id)}${route.deprecated ? ' (deprecated)' : ''}`;
    return `| ${route.method} | ${code(route.path)} | ${fn} | ${caller(route)} |`;
  };
  const row = (...cells: string[]) => `| ${cells.join(' | ')} |`;
  const authorizerRow =
    `| ${code(authorizer.id)} | API Gateway, through its \`live\` alias, before every authenticated route ` +
    '(no result cache) | checks the access token or JWT and names the API key of the token’s usage plan |';
  return [
    `${routes.length} routes, one function each; the API invokes each function’s \`live\` alias:`,
    '',
    '| method | path | function | who may call |',
    '|---|---|---|---|',
    ...routes.map(routeRow),
    '',
    'And the functions no route calls:',
    '',
    '| function | run by | what it does |',
    '|---|---|---|',
    authorizerRow,
    ...scheduledFunctions.map((fn) => row(code(fn.id), `an EventBridge schedule, ${code(fn.schedule)}`, fn.summary)),
    ...deployFunctions.map((fn) => row(code(fn.id), 'CloudFormation, at deploy time (a custom resource)', fn.summary)),
    ...queueFunctions.map((fn) => row(code(fn.id), 'its SQS FIFO queue, one batch at a time', fn.summary)),
    ...streamFunctions.map((fn) => row(code(fn.id), 'the table’s stream (new audit events only)', fn.summary)),
  ].join('\n');
}

/** The alarms: what each watches, when it fires, and where the runbook says what to do. */
export function alarmsBlock(): string {
  return [
    '| alarm | watches | fires at | runbook |',
    '|---|---|---|---|',
    ...Object.values(ALARMS).map((alarm) => {
      const title = alarm.title.replace('{function}', '*function*');
      return `| ${title} | ${alarm.watches} | ${alarm.fires} | [${alarm.runbook}](#${alarm.runbook}) |`;
    }),
  ].join('\n');
}

/** The rate tiers: each, and the values of `maxRps` it holds to its rate. */
export function tiersBlock(): string {
  const rows = RATE_TIERS.map((tier, i) => {
    const last = (RATE_TIERS[i + 1] ?? TOKEN_MAX_RPS + 1) - 1;
    const values = last === tier ? `${tier}` : `${tier}–${last}`;
    return `| ${tier} | ${values} | ${Math.round((1 - tier / last) * 1000) / 10} % |`;
  });
  return [
    `${RATE_TIERS.length} tiers; a usage plan each (rate and burst the tier), made by CloudFormation:`,
    '',
    '| tier (requests/s) | `maxRps` values held to it | most below the value |',
    '|---|---|---|',
    ...rows,
  ].join('\n');
}

/** Each generated block: its file, its marker, its content. */
export const DOC_BLOCKS = [
  { file: 'docs/deploy.md', marker: 'routes', render: routesBlock },
  { file: 'docs/operations.md', marker: 'alarms', render: alarmsBlock },
  { file: 'docs/rate-limiting.md', marker: 'tiers', render: tiersBlock },
] as const;

/** The files as the code would have them. */
export function generatedDocs(root = ROOT): Map<string, { committed: string; generated: string }> {
  const files = new Map<string, { committed: string; generated: string }>();
  for (const { file, marker, render } of DOC_BLOCKS) {
    const entry = files.get(file) ?? { committed: readFileSync(resolve(root, file), 'utf8'), generated: '' };
    entry.generated = replaceBetween(entry.generated || entry.committed, marker, render());
    files.set(file, entry);
  }
  return files;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
  const stale = [...generatedDocs()].filter(([, { committed, generated }]) => committed !== generated);
  if (values.check) {
    if (stale.length > 0) {
      const files = stale.map(([file]) => file).join(', ');
      console.error(`${files}: not what the route table and the alarm catalog generate. Run npm run docs and commit.`);
      process.exit(1);
    }
    console.log('Generated blocks of the docs are up to date.');
  } else {
    for (const [file, { generated }] of generatedDocs()) writeFileSync(resolve(ROOT, file), generated);
    console.log(`Wrote ${DOC_BLOCKS.map(({ file, marker }) => `${file} (${marker})`).join(', ')}`);
  }
}
