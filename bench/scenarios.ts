import autocannon from 'autocannon';
import { encodeCursor } from '../shared/http/cursor.js';
import { exchangeForm } from './federation.js';
import { SMALL } from './fixture.js';

/**
 * The load scenarios: what each sends to the service and, for the same DynamoDB work, to
 * its floor (bench/floor.ts).
 */

export interface Load {
  url: string;
  requests: autocannon.Request[];
  /** The CPU time the server's process has used so far, ms. */
  cpu?: () => Promise<number>;
}

export interface Scenario {
  name: string;
  service: Load;
  floor: Load;
}

/** What the scenarios are made with: the two servers, and the seeded callers and tokens. */
export interface ScenarioInputs {
  service: string;
  /** The plumbing (bench/plumbing.ts), served by the service's process. */
  plumbing: string;
  floor: string;
  /** Each server process's CPU time so far, ms. */
  cpu?: { service: () => Promise<number>; floor: () => Promise<number> };
  /** A token (its new secret), the same token's replaced secret, and a token the exchange issued. */
  token: string;
  /** A token with narrowed scopes and 20 allowed networks, the loopback address in the last. */
  restrictedToken: string;
  previous: string;
  federatedToken: string;
  /** People's JWTs: a caller of the small account, and one of the large account. */
  jwt: string;
  jwtLarge: string;
  large: { account: string; caller: string; tokens: number };
  /** One subject token per exchange: a jti is used once. */
  takeSubject: () => string;
}

export const listPath = (account: string) => `/api/v1/domains/bench/auth/service-accounts/${account}/tokens`;

export function loadScenarios(inputs: ScenarioInputs): Scenario[] {
  const { token, restrictedToken, previous, federatedToken, jwt, jwtLarge, large, takeSubject } = inputs;
  const service = { url: inputs.service, cpu: inputs.cpu?.service };
  const floor = { url: inputs.floor, cpu: inputs.cpu?.floor };
  const middle = `seed-${String(Math.floor(large.tokens / 2) - 1).padStart(4, '0')}`;
  let cycle = 0;
  const nextName = (context: object) => ((context as { name?: string }).name = `cycle-${process.pid}-${cycle++}`);
  const nameOf = (context: object) => (context as { name?: string }).name;
  // A token-authenticated whoami; its floor makes the same two reads (the credential, the principal).
  const whoami = (name: string, apiToken: string, url = service.url): Scenario => ({
    name,
    service: {
      ...service,
      url,
      requests: [{ method: 'GET', path: '/api/v1/auth/whoami', headers: { 'x-api-token': apiToken } }],
    },
    floor: { ...floor, requests: [{ method: 'GET', path: '/whoami', headers: { 'x-api-token': apiToken } }] },
  });
  return [
    whoami('whoami-token', token),
    // The authorizer judging scopes and 20 networks, on the same one read: against whoami-token.
    whoami('whoami-restricted-token', restrictedToken),
    whoami('whoami-token-previous-secret', previous),
    // The plumbing alone (bench/plumbing.ts) on the old secret's floor: the most a token path can read here.
    whoami('whoami-plumbing', previous, inputs.plumbing),
    whoami('whoami-federated-token', federatedToken),
    {
      // The issuer's keys cached (the warm-up fetched them): what every exchange but a container's first costs.
      name: 'exchange',
      service: {
        ...service,
        requests: [
          {
            method: 'POST',
            path: '/api/v1/auth/token',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            setupRequest: (request) => ({ ...request, body: exchangeForm(takeSubject(), SMALL.account) }),
          },
        ],
      },
      floor: {
        ...floor,
        requests: [
          {
            method: 'POST',
            path: `/exchange?account=${SMALL.account}`,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            setupRequest: (request) => ({ ...request, body: exchangeForm(takeSubject(), SMALL.account) }),
          },
        ],
      },
    },
    {
      name: 'list-token-events',
      service: {
        ...service,
        requests: [
          {
            method: 'GET',
            path: `/api/v1/domains/bench/auth/service-accounts/${SMALL.account}/token-events`,
            headers: { authorization: `Bearer ${jwt}` },
          },
        ],
      },
      floor: {
        ...floor,
        requests: [{ method: 'GET', path: `/events?caller=${SMALL.caller}&account=${SMALL.account}` }],
      },
    },
    {
      name: 'list-tokens-jwt',
      service: {
        ...service,
        requests: [{ method: 'GET', path: listPath(SMALL.account), headers: { authorization: `Bearer ${jwt}` } }],
      },
      floor: {
        ...floor,
        requests: [{ method: 'GET', path: `/list?caller=${SMALL.caller}&account=${SMALL.account}` }],
      },
    },
    {
      name: 'list-tokens-jwt-large',
      service: {
        ...service,
        requests: [
          {
            method: 'GET',
            path: `${listPath(large.account)}?nextToken=${encodeCursor(middle)}`,
            headers: { authorization: `Bearer ${jwtLarge}` },
          },
        ],
      },
      floor: {
        ...floor,
        requests: [{ method: 'GET', path: `/list?caller=${large.caller}&account=${large.account}&after=${middle}` }],
      },
    },
    {
      name: 'create-delete-cycle',
      service: {
        ...service,
        requests: [
          {
            method: 'POST',
            path: listPath(SMALL.account),
            headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
            setupRequest: (request, context) => ({ ...request, body: JSON.stringify({ name: nextName(context) }) }),
          },
          {
            method: 'DELETE',
            headers: { authorization: `Bearer ${jwt}` },
            setupRequest: (request, context) => ({
              ...request,
              path: `${listPath(SMALL.account)}/${nameOf(context)}`,
            }),
          },
        ],
      },
      floor: {
        ...floor,
        requests: [
          {
            method: 'POST',
            setupRequest: (request, context) => ({
              ...request,
              path: `/create?caller=${SMALL.caller}&account=${SMALL.account}&name=${nextName(context)}`,
            }),
          },
          {
            method: 'DELETE',
            setupRequest: (request, context) => ({
              ...request,
              path: `/delete?caller=${SMALL.caller}&account=${SMALL.account}&name=${nameOf(context)}`,
            }),
          },
        ],
      },
    },
  ];
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
export const round1 = (n: number) => Math.round(n * 10) / 10;
export const round2 = (n: number) => Math.round(n * 100) / 100;

interface LoadSettings {
  rounds: number;
  connections: number;
  /** Seconds each load runs. */
  duration: number;
  /** Seconds of load on each server per scenario before the rounds; 0: 40 requests only. */
  warmupSeconds: number;
}

async function load(target: Load, { connections, duration }: LoadSettings) {
  const cpuBefore = await target.cpu?.();
  const result = await autocannon({ url: target.url, connections, duration, requests: target.requests });
  const cpuAfter = await target.cpu?.();
  return {
    cpuMsPerRequest:
      cpuBefore === undefined || cpuAfter === undefined
        ? 0
        : (cpuAfter - cpuBefore) / Math.max(result.requests.total, 1),
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

/**
 * Each scenario against the service and against its floor, in alternating rounds (so a slower moment
 * of the machine falls on both), after warming both up: the medians, and the median of the rounds'
 * ratios. Each round goes through every scenario, so scenarios compared with each other (a restricted
 * token's whoami against an unrestricted one's) meet the same moments of the machine too.
 */
export async function measureScenarios(scenarios: Scenario[], settings: LoadSettings) {
  // Warm both: JWKS fetch, module loading and JIT are not what is measured. Throughput kept rising
  // after 40 requests (a floor ran 14 % faster as its run's second scenario): a sustained load follows.
  const { connections, warmupSeconds: duration } = settings;
  for (const { url, requests } of scenarios.flatMap((scenario) => [scenario.service, scenario.floor])) {
    await autocannon({ url, connections: 2, amount: 40, requests });
    if (duration) await autocannon({ url, requests, connections, duration });
  }

  type Loaded = Awaited<ReturnType<typeof load>>;
  const runs = scenarios.map(() => ({ ours: [] as Loaded[], floors: [] as Loaded[] }));
  for (let round = 0; round < settings.rounds; round++) {
    for (const [index, scenario] of scenarios.entries()) {
      const { ours, floors } = runs[index]!;
      // Which of a pair goes first alternates: neither always follows the other's load.
      if (round % 2) ours.push(await load(scenario.service, settings));
      floors.push(await load(scenario.floor, settings));
      if (!(round % 2)) ours.push(await load(scenario.service, settings));
    }
  }
  return scenarios.map((scenario, index) => {
    const { ours, floors } = runs[index]!;
    const errors = [...ours, ...floors].reduce((sum, r) => sum + r.errors, 0);
    // Each round's ratio is of a floor load and the service load beside it: a slower
    // moment of the machine falls on both of a pair. The median of those ratios, and their range.
    const ratios = ours.map((r, i) => r.rps / floors[i]!.rps);
    const ratio = median(ratios);
    const p99 = median(ours.map((r) => r.p99));
    const baselineP99 = median(floors.map((r) => r.p99));
    console.error(
      `${scenario.name}: ${round2(ratio)}x the floor (rounds ${ratios.map(round2).join(', ')}), ` +
        `p99 ${p99} vs ${baselineP99} ms${errors ? `, ${errors} errors` : ''}`,
    );
    return {
      name: scenario.name,
      rps: round1(median(ours.map((r) => r.rps))),
      p50Ms: round1(median(ours.map((r) => r.p50))),
      p99Ms: round1(p99),
      baselineRps: round1(median(floors.map((r) => r.rps))),
      // The floor's tail beside ours: a p99 is only judged against the same work's.
      baselineP50Ms: round1(median(floors.map((r) => r.p50))),
      baselineP99Ms: round1(baselineP99),
      ratio: round2(ratio),
      ratioRange: [round2(Math.min(...ratios)), round2(Math.max(...ratios))],
      p99Ratio: round2(p99 / Math.max(baselineP99, 0.1)),
      // The server process's CPU time per request, ours and the floor's (DynamoDB's own work
      // is in neither): steadier than throughput on a shared machine, and it says where time goes.
      cpuMsPerRequest: round2(median(ours.map((r) => r.cpuMsPerRequest))),
      baselineCpuMsPerRequest: round2(median(floors.map((r) => r.cpuMsPerRequest))),
      errors,
    };
  });
}
