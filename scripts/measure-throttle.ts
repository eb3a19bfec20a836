import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Agent, get } from 'node:http';

/**
 * `npm run measure-throttle`: the admitted rate of the local limiter under ten times its
 * rate, over HTTP against a local service on 127.0.0.1. For each N, a fresh token with
 * `maxRps = N` is offered 10N requests per second for T seconds (an open loop: requests
 * leave on schedule, from 0 to T inclusive, whatever the answers do) and its 200s are
 * counted. A token bucket of rate N and burst N admits at most N*W + N in a window of W
 * seconds; the table compares, with W the span over which the requests reached the
 * limiter (timestamped there), which is T unless the service could not keep up.
 *
 * Writes the table into docs/rate-limiting.md between its measurement markers, unless
 * `--print-only`.
 */

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    runs: { type: 'string', default: '3' },
    rates: { type: 'string', default: '1,5,50' },
    'print-only': { type: 'boolean', default: false },
  },
});
const seconds = Number(args.seconds);
const runs = Number(args.runs);
const rates = args.rates.split(',').map(Number);
if (
  !(seconds > 0) ||
  !Number.isInteger(runs) ||
  runs < 1 ||
  rates.some((rate) => !Number.isInteger(rate) || rate < 1)
) {
  console.error('Usage: npm run measure-throttle -- [--seconds 5] [--runs 3] [--rates 1,5,50] [--print-only]');
  process.exit(2);
}

const DOC = resolve(import.meta.dirname, '../docs/rate-limiting.md');
const BEGIN = '<!-- measure-throttle:begin -->';
const END = '<!-- measure-throttle:end -->';
/** More in flight than this means the service, not the limiter, is the bottleneck: the run says so. */
const MAX_IN_FLIGHT = 512;

interface Run {
  sent: number;
  admitted: number;
  throttled: number;
  other: number;
  skipped: number;
  /** Seconds from the first to the last request the limiter decided on. */
  window: number;
}

function status(url: string, headers: Record<string, string>, agent: Agent): Promise<number> {
  return new Promise((resolveStatus, reject) => {
    get(url, { headers, agent }, (response) => {
      response.resume();
      response.on('end', () => resolveStatus(response.statusCode ?? 0));
      response.on('error', reject);
    }).on('error', reject);
  });
}

async function offer(url: string, headers: Record<string, string>, rps: number, agent: Agent): Promise<Run> {
  const run: Run = { sent: 0, admitted: 0, throttled: 0, other: 0, skipped: 0, window: 0 };
  const interval = 1000 / (10 * rps);
  const total = Math.round(seconds * 10 * rps) + 1;
  const pending = new Set<Promise<void>>();
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    if (pending.size >= MAX_IN_FLIGHT) {
      run.skipped += 1;
      continue;
    }
    run.sent += 1;
    const request = status(url, headers, agent)
      .then((code) => {
        if (code === 200) run.admitted += 1;
        else if (code === 429) run.throttled += 1;
        else run.other += 1;
      })
      .catch(() => {
        run.other += 1;
      })
      .finally(() => pending.delete(request));
    pending.add(request);
  }
  await Promise.all(pending);
  return run;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

async function main(): Promise<void> {
  const { startLocalService } = await import('../infra/local/service.js');
  const { readDirectoryFile } = await import('../infra/local/directory-file.js');
  const { DEFAULT_DIRECTORY_FILE } = await import('../infra/local/paths.js');
  const { devAccessToken } = await import('../infra/local/dev-token-client.js');

  const { LocalRateLimits } = await import('../shared/ratelimit/local-rate-limits.js');
  const { DynamoKeyOwners } = await import('../shared/ratelimit/key-owners.js');
  const { createDocumentClient } = await import('../shared/dynamodb/client.js');

  // The limiter as the gateway uses it, with the arrival time of each decision on the
  // measured token's key (the only limited token in use): the window the bound applies to.
  let watching = false;
  const decisions: number[] = [];
  class WatchedRateLimits extends LocalRateLimits {
    override async admit(usageKey: string | undefined) {
      const verdict = await super.admit(usageKey);
      if (watching && usageKey !== (await this.keyFor({ maxRps: null, key: {} }, new Date())))
        decisions.push(performance.now());
      return verdict;
    }
  }
  const service = await startLocalService({
    port: 0,
    host: '127.0.0.1',
    inMemory: true,
    directory: readDirectoryFile(DEFAULT_DIRECTORY_FILE),
    env: { POWERTOOLS_LOG_LEVEL: 'ERROR' },
    parts: (config) => {
      const documents = createDocumentClient({ region: 'local', endpoint: config.dynamodbEndpoint });
      const limits = new WatchedRateLimits(new DynamoKeyOwners(documents, config.tableName), () => new Date());
      return { rateLimits: limits, usageKeys: limits };
    },
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const rows: string[][] = [];
  try {
    const jwt = await devAccessToken(service.issuer, 'alice');
    const tokens = `${service.url}/api/v1/domains/finance/auth/service-accounts/sa-etl/tokens`;
    let serial = 0;
    for (const rps of rates) {
      const results: Run[] = [];
      for (let r = 0; r < runs; r++) {
        const name = `measure-${rps}-${++serial}`;
        const created = await fetch(tokens, {
          method: 'POST',
          headers: { Authorization: `Bearer ${jwt}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ name, maxRps: rps }),
        });
        if (created.status !== 201)
          throw new Error(`Creating a token failed: ${created.status} ${await created.text()}`);
        const { token } = (await created.json()) as { token: string };
        // A warm connection first, so that the first measured request is not the one that waits for a handshake.
        await status(`${service.url}/health`, {}, agent);
        watching = true;
        decisions.length = 0;
        const run = await offer(`${service.url}/api/v1/auth/whoami`, { 'X-API-Token': token }, rps, agent);
        run.window = decisions.length > 1 ? (decisions.at(-1)! - decisions[0]!) / 1000 : 0;
        watching = false;
        results.push(run);
        // Keeps the service account under its token limit across many runs.
        await fetch(`${tokens}/${name}`, { method: 'DELETE', headers: { Authorization: `Bearer ${jwt}` } });
      }
      const admitted = results.map((run) => run.admitted);
      const middle = results.find((run) => run.admitted === median(admitted)) ?? results[0]!;
      const window = middle.window;
      const bound = rps * window + rps;
      // Whole requests: the bucket holds N at the start and gains one every 1/N s.
      const wholeBound = rps + Math.floor(rps * window + 1e-9);
      const problems = results.reduce((sum, run) => sum + run.other + run.skipped, 0);
      const overBound = results.filter((run) => run.admitted > rps + Math.floor(rps * run.window + 1e-9)).length;
      rows.push([
        String(rps),
        (middle.sent / seconds).toFixed(0),
        ((middle.admitted + middle.throttled) / window).toFixed(0),
        window.toFixed(2),
        bound.toFixed(1),
        String(wholeBound),
        `${middle.admitted} (${Math.min(...admitted)}–${Math.max(...admitted)})`,
        (middle.admitted / window).toFixed(2),
        `${(((middle.admitted - bound) / bound) * 100).toFixed(1)} %`,
        `${(((middle.admitted - wholeBound) / wholeBound) * 100).toFixed(1)} %`,
        `${overBound} of ${runs}`,
        problems === 0 ? 'none' : String(problems),
      ]);
    }
  } finally {
    agent.destroy();
    await service.stop();
  }

  const header = [
    'N',
    'offered req/s',
    'reached the limiter, req/s',
    'window W, s',
    'bound N·W+N',
    'whole requests N+⌊N·W⌋',
    `admitted, median of ${runs} (min–max)`,
    'admitted req/s',
    'vs N·W+N',
    'vs N+⌊N·W⌋',
    'runs over their own bound',
    'errors or unsent',
  ];
  const table = [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
  const note =
    `T = ${seconds} s per run, ${runs} runs per N, measured ${new Date().toISOString().slice(0, 10)} on ` +
    `${process.platform}/${process.arch}, Node ${process.version}.`;
  console.log(`${table}\n\n${note}`);
  if (!args['print-only']) {
    const doc = readFileSync(DOC, 'utf8');
    const start = doc.indexOf(BEGIN);
    const end = doc.indexOf(END);
    if (start < 0 || end < start) throw new Error(`${DOC} has no ${BEGIN} ... ${END} section`);
    writeFileSync(DOC, `${doc.slice(0, start + BEGIN.length)}\n${table}\n\n${note}\n${doc.slice(end)}`);
    console.log(`\nWritten to ${DOC}.`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
