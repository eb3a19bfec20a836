import { ACCESS_LOG_FIELDS } from '../infra/cdk/api.js';
import { FUNCTION_MEMORY_MB } from '../infra/cdk/bundling.js';

/**
 * What a million token-authenticated calls cost in AWS, from the durations the benchmark
 * measured and published prices. One call is one API Gateway REST request, one
 * authorizer invocation (a strongly consistent GetItem, and at most once a minute per
 * token a lastUsedAt transaction) and one function invocation (whoami, the lightest: one
 * strongly consistent GetItem), with their logs and traces.
 */

/**
 * us-east-1, on-demand, without free tiers. AWS's pricing pages render their figures in
 * the browser, so these were read from the sources named, on the dates given; check
 * them against the AWS pricing pages before relying on them.
 */
export const PRICES = {
  apiGatewayRestPerMillion: { usd: 3.5, source: 'API Gateway REST, first 333 million a month (AWS whitepaper on API Gateway costs; third-party summary of 19 May 2025)' },
  lambdaRequestsPerMillion: { usd: 0.2, source: 'Lambda requests (AWS Lambda pricing page as transcribed, read 2026-09-20)' },
  lambdaArmGbSecond: { usd: 0.0000133334, source: 'Lambda duration, arm64, first 7.5 billion GB-s a month (2024 pricing summaries)' },
  dynamodbReadPerMillion: { usd: 0.125, source: 'DynamoDB on-demand read request units, after the cut of 1 Nov 2024 (summaries of 21 Jul and 19 Aug 2025)' },
  dynamodbWritePerMillion: { usd: 0.625, source: 'DynamoDB on-demand write request units, same sources' },
  logsIngestionPerGb: { usd: 0.5, source: 'CloudWatch Logs standard ingestion (summary of June 2026)' },
  xrayTracesPerMillion: { usd: 5, source: 'X-Ray traces recorded (AWS X-Ray pricing page, stored copy)' },
} as const;
export const PRICES_READ = '2026-11-30';

/** X-Ray's default sampling rule: one request a second, then 5 % of the rest. At volume, about 5 %. */
const XRAY_SAMPLED = 0.05;
/** CloudWatch Logs bills each event's bytes plus 26 bytes. */
const LOG_EVENT_OVERHEAD = 26;
/** Lambda's platform lines per invocation in text format (START, END, REPORT, XRAY), as logged. */
const PLATFORM_LOG_LINES = [
  'START RequestId: 8f4e2c1a-3b5d-4e6f-9a7b-0c1d2e3f4a5b Version: $LATEST',
  'END RequestId: 8f4e2c1a-3b5d-4e6f-9a7b-0c1d2e3f4a5b',
  'REPORT RequestId: 8f4e2c1a-3b5d-4e6f-9a7b-0c1d2e3f4a5b\tDuration: 4.21 ms\tBilled Duration: 5 ms\tMemory Size: 512 MB\tMax Memory Used: 96 MB\t',
  'XRAY TraceId: 1-67a8b9c0-1a2b3c4d5e6f7a8b9c0d1e2f\tSegmentId: 1a2b3c4d5e6f7a8b\tSampled: true\t',
];

/** One access-log line with typical values in place of each `$context` variable. */
function accessLogBytes(): number {
  const sample: Record<string, string> = {
    requestId: '0d7c2f9e-5b1a-4c3d-8e6f-7a9b0c1d2e3f',
    extendedRequestId: 'Kx3FhG7yIAMEbXw=',
    requestTime: '30/Nov/2026:12:00:00 +0000',
    requestTimeEpoch: '1796040000000',
    ip: '203.0.113.42',
    userAgent: 'ci-runner/3.4 (linux; x64)',
    httpMethod: 'GET',
    resourcePath: '/api/v1/auth/whoami',
    path: '/prod/api/v1/auth/whoami',
    protocol: 'HTTP/1.1',
    status: '200',
    responseLength: '112',
    responseLatency: '18',
    principalId: 'sa-etl',
    authorizerStatus: '200',
    authorizerLatency: '9',
    apiKeyId: 'a1b2c3d4e5',
    integrationStatus: '200',
    integrationLatency: '7',
    errorType: '-',
    errorMessage: '-',
    xrayTraceId: 'Root=1-67a8b9c0-1a2b3c4d5e6f7a8b9c0d1e2f',
  };
  const line = Object.fromEntries(Object.keys(ACCESS_LOG_FIELDS).map((field) => [field, sample[field] ?? '-']));
  return Buffer.byteLength(JSON.stringify(line)) + LOG_EVENT_OVERHEAD;
}

export interface CostInput {
  /** Warm handler durations measured by the benchmark, in ms. */
  authorizerMs: number;
  functionMs: number;
}

export interface CostLine {
  item: string;
  perMillion: number;
}

/**
 * Dollars per million calls, per line. `cacheSeconds` > 0 models an authorizer result
 * cache: the authorizer then runs once per token per period, for tokens calling
 * `callsPerSecond` each.
 */
export function costPerMillion(input: CostInput, options: { cacheSeconds: number; callsPerSecond: number }): CostLine[] {
  const calls = 1_000_000;
  const authorizerRuns = options.cacheSeconds > 0 ? Math.min(calls, calls / (options.cacheSeconds * options.callsPerSecond)) : calls;
  const gbSeconds = (ms: number) => (FUNCTION_MEMORY_MB / 1024) * (Math.ceil(ms) / 1000);
  // lastUsedAt: one transaction of two items (2 WRU each) per token per minute at most.
  const lastUsedWrites = Math.min(authorizerRuns, calls / (60 * options.callsPerSecond)) * 4;
  const platformBytes = PLATFORM_LOG_LINES.reduce((sum, line) => sum + Buffer.byteLength(line) + LOG_EVENT_OVERHEAD, 0);
  const gb = (bytes: number) => bytes / 1024 ** 3;
  return [
    { item: 'API Gateway REST requests', perMillion: PRICES.apiGatewayRestPerMillion.usd },
    { item: 'authorizer: Lambda requests', perMillion: (authorizerRuns / calls) * PRICES.lambdaRequestsPerMillion.usd },
    { item: 'authorizer: Lambda duration', perMillion: authorizerRuns * gbSeconds(input.authorizerMs) * PRICES.lambdaArmGbSecond.usd },
    { item: 'authorizer: DynamoDB reads (credential)', perMillion: (authorizerRuns / calls) * PRICES.dynamodbReadPerMillion.usd },
    { item: 'authorizer: DynamoDB writes (lastUsedAt)', perMillion: (lastUsedWrites / calls) * PRICES.dynamodbWritePerMillion.usd },
    { item: 'function: Lambda requests', perMillion: PRICES.lambdaRequestsPerMillion.usd },
    { item: 'function: Lambda duration', perMillion: calls * gbSeconds(input.functionMs) * PRICES.lambdaArmGbSecond.usd },
    { item: 'function: DynamoDB reads', perMillion: PRICES.dynamodbReadPerMillion.usd },
    {
      item: 'CloudWatch Logs (access log, platform lines)',
      perMillion: (gb(calls * accessLogBytes()) + gb((calls + authorizerRuns) * platformBytes)) * PRICES.logsIngestionPerGb.usd,
    },
    { item: 'X-Ray traces (default sampling)', perMillion: XRAY_SAMPLED * PRICES.xrayTracesPerMillion.usd },
  ];
}

export const total = (lines: CostLine[]) => lines.reduce((sum, line) => sum + line.perMillion, 0);
