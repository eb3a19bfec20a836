import { ACCESS_LOG_FIELDS } from '../infra/cdk/api.js';
import { FUNCTION_MEMORY_MB } from '../infra/cdk/bundling.js';
import { ALARMS, LOG_METRICS } from '../infra/alarm-catalog.js';
import { deployFunctions, queueFunctions, routes, scheduledFunctions, streamFunctions } from '../infra/routes.js';

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
  apiGatewayRestPerMillion: {
    usd: 3.5,
    source:
      'API Gateway REST, first 333 million a month (AWS whitepaper on API Gateway costs; third-party summary of ' +
      '19 May 2025)',
  },
  lambdaRequestsPerMillion: {
    usd: 0.2,
    source: 'Lambda requests (AWS Lambda pricing page as transcribed, read 2026-09-20)',
  },
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    source: 'Lambda duration, arm64, first 7.5 billion GB-s a month (2024 pricing summaries)',
  },
  dynamodbReadPerMillion: {
    usd: 0.125,
    source: 'DynamoDB on-demand read request units, after the cut of 1 Nov 2024 (summaries of 21 Jul and 19 Aug 2025)',
  },
  dynamodbWritePerMillion: { usd: 0.625, source: 'DynamoDB on-demand write request units, same sources' },
  logsIngestionPerGb: { usd: 0.5, source: 'CloudWatch Logs standard ingestion (summary of June 2026)' },
  xrayTracesPerMillion: { usd: 5, source: 'X-Ray traces recorded (AWS X-Ray pricing page, stored copy)' },
  wafRequestsPerMillion: {
    usd: 0.6,
    source: 'AWS WAF requests inspected by a web ACL (https://aws.amazon.com/waf/pricing/)',
  },
} as const;

/**
 * What a stage costs each month whatever its traffic, us-east-1, without free tiers (the
 * account's first 10 alarms, 3 dashboards and 10 custom metrics are free). AWS's pricing
 * pages render their figures in the browser: these are as AWS's security best-practices
 * guide for WAF (https://aws.github.io/aws-security-services-best-practices/guides/waf/waf-cost/docs/)
 * and third-party summaries give them, read on `FIXED_PRICES_READ`; check them against the
 * pages named before relying on them.
 */
export const FIXED_PRICES_READ = '2026-12-06';
export const FIXED_PRICES = {
  wafWebAcl: { usd: 5, source: 'AWS WAF, a web ACL a month (https://aws.amazon.com/waf/pricing/)' },
  wafRule: {
    usd: 1,
    source:
      'AWS WAF, a rule a month; a rule group counts as one rule, and AWS’s common rule set has no fee of its own ' +
      '(same page)',
  },
  alarmMetric: {
    usd: 0.1,
    source:
      'CloudWatch, a standard-resolution alarm metric a month; an alarm on metric math pays for each metric ' +
      '(https://aws.amazon.com/cloudwatch/pricing/)',
  },
  dashboard: { usd: 3, source: 'CloudWatch, a dashboard a month (same page)' },
  customMetric: {
    usd: 0.3,
    source:
      'CloudWatch, a custom metric a month, first 10,000; API Gateway’s per-method metrics are billed as such ' +
      '(same page; ' +
      'https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html)',
  },
  kmsKey: { usd: 1, source: 'AWS KMS, a customer managed key a month (https://aws.amazon.com/kms/pricing/)' },
} as const;

/** The metrics the functions publish (EMF), each a custom metric once it has data. */
export const SERVICE_METRICS = [
  'TokenCreated',
  'TokenDeleted',
  'TokenRotated',
  'FederationPolicyCreated',
  'TokenExchanged',
  'TokenExchangeRefused',
  'TokenExchangeRefusedUnverified',
  'TokenRefusedNetwork',
  'IssuerUnavailable',
  'RegionApiKeys',
  'OwnApiKeys',
  'RateLimitedOwners',
  'ReconcileCompleted',
  'ExpiryNotices',
  'SuspendedUnused',
];

/** API Gateway's metrics per method with detailed metrics on (no cache: no cache hit and miss counts). */
const API_METRICS_PER_METHOD = ['Count', '4XXError', '5XXError', 'Latency', 'IntegrationLatency'].length;

/** What of a stage is billed by the month, counted from the route table and the alarm catalog. */
export interface StageShape {
  functions: number;
  methods: number;
  /** Alarm metrics: one per alarm, two for the API's 5XX rate (a ratio). */
  alarmMetrics: number;
  wafRules: number;
  waf: boolean;
  detailedApiMetrics: boolean;
}

export function stageShape(options: { waf: boolean; commonRuleSet: boolean; detailedApiMetrics: boolean }): StageShape {
  const functions =
    routes.length +
    1 +
    scheduledFunctions.length +
    deployFunctions.length +
    queueFunctions.length +
    streamFunctions.length;
  // Every function's throttles; every function's errors but the authorizer's; each stage-wide alarm once.
  const perFunction = 2 * functions - 1;
  const stageWide = Object.keys(ALARMS).length - 2;
  const anonymous = routes.filter((route) => route.auth === 'none' && route.throttle).length;
  return {
    functions,
    methods: routes.length,
    alarmMetrics: perFunction + stageWide + 1,
    // A limit per anonymous route, one for the whole API, and the common rule set.
    wafRules: anonymous + 1 + (options.commonRuleSet ? 1 : 0),
    waf: options.waf,
    detailedApiMetrics: options.detailedApiMetrics,
  };
}

export interface FixedLine {
  item: string;
  perMonth: number;
}

export function fixedMonthlyCosts(shape: StageShape): FixedLine[] {
  const { wafWebAcl, wafRule, alarmMetric, dashboard, customMetric, kmsKey } = FIXED_PRICES;
  const fromLogs = Object.keys(LOG_METRICS).length;
  const perMethod = shape.methods * API_METRICS_PER_METHOD;
  const waf = {
    item: `AWS WAF: the web ACL and its ${shape.wafRules} rules`,
    perMonth: wafWebAcl.usd + shape.wafRules * wafRule.usd,
  };
  const detailed = {
    item:
      `API Gateway per-method metrics (${shape.methods} methods × ${API_METRICS_PER_METHOD}; ` +
      'context apiDetailedMetrics=false drops them)',
    perMonth: perMethod * customMetric.usd,
  };
  return [
    ...(shape.waf ? [waf] : []),
    { item: `CloudWatch alarms (${shape.alarmMetrics} alarm metrics)`, perMonth: shape.alarmMetrics * alarmMetric.usd },
    { item: 'CloudWatch dashboard', perMonth: dashboard.usd },
    {
      item:
        `custom metrics: the service's ${SERVICE_METRICS.length} and the ${fromLogs} counted from logs ` +
        '(each once it has data)',
      perMonth: (SERVICE_METRICS.length + fromLogs) * customMetric.usd,
    },
    ...(shape.detailedApiMetrics ? [detailed] : []),
    { item: 'KMS key of the notices and alarm topics', perMonth: kmsKey.usd },
  ];
}

export const fixedTotal = (lines: FixedLine[]) => lines.reduce((sum, line) => sum + line.perMonth, 0);
export const PRICES_READ = '2026-11-30';

/** X-Ray's default sampling rule: one request a second, then 5 % of the rest. At volume, about 5 %. */
const XRAY_SAMPLED = 0.05;
/** CloudWatch Logs bills each event's bytes plus 26 bytes. */
const LOG_EVENT_OVERHEAD = 26;
/** Lambda's platform lines per invocation in text format (START, END, REPORT, XRAY), as logged. */
const PLATFORM_LOG_LINES = [
  'START RequestId: 8f4e2c1a-3b5d-4e6f-9a7b-0c1d2e3f4a5b Version: $LATEST',
  'END RequestId: 8f4e2c1a-3b5d-4e6f-9a7b-0c1d2e3f4a5b',
  'REPORT RequestId: 8f4e2c1a-3b5d-4e6f-9a7b-0c1d2e3f4a5b\tDuration: 4.21 ms\tBilled Duration: 5 ms\tMemory ' +
    'Size: 512 MB\tMax Memory Used: 96 MB\t',
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
export function costPerMillion(
  input: CostInput,
  options: { cacheSeconds: number; callsPerSecond: number },
): CostLine[] {
  const calls = 1_000_000;
  const authorizerRuns =
    options.cacheSeconds > 0 ? Math.min(calls, calls / (options.cacheSeconds * options.callsPerSecond)) : calls;
  const gbSeconds = (ms: number) => (FUNCTION_MEMORY_MB / 1024) * (Math.ceil(ms) / 1000);
  // lastUsedAt: one transaction of two items (2 WRU each) per token per minute at most.
  const lastUsedWrites = Math.min(authorizerRuns, calls / (60 * options.callsPerSecond)) * 4;
  const platformBytes = PLATFORM_LOG_LINES.reduce((sum, line) => sum + Buffer.byteLength(line) + LOG_EVENT_OVERHEAD, 0);
  const gb = (bytes: number) => bytes / 1024 ** 3;
  return [
    { item: 'API Gateway REST requests', perMillion: PRICES.apiGatewayRestPerMillion.usd },
    { item: 'authorizer: Lambda requests', perMillion: (authorizerRuns / calls) * PRICES.lambdaRequestsPerMillion.usd },
    {
      item: 'authorizer: Lambda duration',
      perMillion: authorizerRuns * gbSeconds(input.authorizerMs) * PRICES.lambdaArmGbSecond.usd,
    },
    {
      item: 'authorizer: DynamoDB reads (credential)',
      perMillion: (authorizerRuns / calls) * PRICES.dynamodbReadPerMillion.usd,
    },
    {
      item: 'authorizer: DynamoDB writes (lastUsedAt)',
      perMillion: (lastUsedWrites / calls) * PRICES.dynamodbWritePerMillion.usd,
    },
    { item: 'function: Lambda requests', perMillion: PRICES.lambdaRequestsPerMillion.usd },
    {
      item: 'function: Lambda duration',
      perMillion: calls * gbSeconds(input.functionMs) * PRICES.lambdaArmGbSecond.usd,
    },
    { item: 'function: DynamoDB reads', perMillion: PRICES.dynamodbReadPerMillion.usd },
    {
      item: 'CloudWatch Logs (access log, platform lines)',
      perMillion:
        (gb(calls * accessLogBytes()) + gb((calls + authorizerRuns) * platformBytes)) * PRICES.logsIngestionPerGb.usd,
    },
    { item: 'X-Ray traces (default sampling)', perMillion: XRAY_SAMPLED * PRICES.xrayTracesPerMillion.usd },
    { item: 'AWS WAF requests (the web ACL, on by default)', perMillion: PRICES.wafRequestsPerMillion.usd },
  ];
}

export const total = (lines: CostLine[]) => lines.reduce((sum, line) => sum + line.perMillion, 0);
