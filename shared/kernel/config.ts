import { MAX_RPS_CEILING, TOKEN_MAX_RPS } from './rate-tiers.js';

/**
 * The service's settings, read from an environment (a plain record of strings) by one
 * pure function. Entry points pass `process.env`; the local runtime and the tests pass
 * records of their own, so nothing ever writes to `process.env` to configure the code.
 *
 * Inside Lambda (`AWS_LAMBDA_FUNCTION_NAME` set) the stack sets every value and a missing
 * or malformed one throws, naming the variable, so the function fails at init rather
 * than at some later request. Outside Lambda the local defaults apply.
 */

export type Environment = Readonly<Record<string, string | undefined>>;

export interface Config {
  tableName: string;
  /** DynamoDB endpoint override (DynamoDB Local); unset in AWS. */
  dynamodbEndpoint: string | undefined;
  region: string;
  jwt: {
    jwksUrl: string;
    issuer: string;
    audience: string;
    /** Claim that names the caller in a JWT. @default "sub" */
    userClaim: string;
    /**
     * How long the authorizer remembers whether a JWT's user is a service account (`JWT_ACCOUNT_TYPE_CACHE_SECONDS`).
     * @default 30
     */
    accountTypeCacheSeconds: number;
  };
  tokens: {
    /** Stored tokens per service account, expired ones included. @default 50 */
    limitPerAccount: number;
    /** Longest lifetime a token may be created with, in days. @default 365 */
    maxLifetimeDays: number;
    /** How long an expired token stays listed before TTL may remove it. @default 30 */
    retentionDays: number;
    /** Minimum interval between two `lastUsedAt` writes of one token. @default 60 */
    lastUsedWriteIntervalSeconds: number;
    /**
     * The highest `maxRps` a token or federation policy may have: the stage's own rate limit
     * in AWS (`MAX_RPS`), and never above what one token can reach (`TOKEN_MAX_RPS`).
     * @default 3000
     */
    maxRps: number;
    /** Every new token of every service account must carry `allowedCidrs` (`REQUIRE_ALLOWED_CIDRS`). @default false */
    requireAllowedCidrs: boolean;
    /**
     * Tokens and federation policies with a `maxRps` the deployment holds at most: each has
     * an API Gateway key, of which an account has 10,000 per Region (`RATE_LIMITED_MAX`). @default 8000
     */
    rateLimitedMax: number;
  };
  /**
   * API Gateway wiring for `maxRps` (AWS only; unset locally, where the local gateway
   * throttles): the REST API and stage; how long a key joining a plan warms up before a
   * token presents it (`NEW_KEY_WARMUP_SECONDS`, default 60); the key worker's queue
   * (`KEY_QUEUE_URL`, on the functions that send to it); the tiers' usage plans
   * (`TIER_PLANS`, `<rps>=<plan id>,...`, on the worker and reconcile); and the worker's
   * control-plane budget (`KEY_WORKER_CALLS_PER_SECOND`, default 4). See docs/rate-limiting.md.
   */
  apiGateway: ApiGatewaySettings | undefined;
  /**
   * The lifecycle job: suspend active tokens unused for this many days
   * (`SUSPEND_UNUSED_AFTER_DAYS`; unset or 0: never, the default).
   */
  lifecycle: { suspendUnusedAfterDays: number | undefined };
  /**
   * GitHub secret scanning: where GitHub publishes the keys that sign its reports
   * (`GITHUB_SECRET_SCANNING_KEYS_URL`; tests point it at keys of their own).
   */
  secretScanning: { githubKeysUrl: string };
  /**
   * Federation: what a policy's issuer may be. Public https hosts only, unless
   * `FEDERATION_ALLOW_LOOPBACK_ISSUERS` is set (outside Lambda only: `npm start` sets it,
   * so a local CI stand-in on 127.0.0.1 can be an issuer); loopback then too, http included.
   */
  federation: { issuers: { allowLoopback: boolean } };
  /**
   * The audit trail: how long events are kept (`AUDIT_RETENTION_DAYS`, default 400), and the bus they are published to
   * in AWS (`EVENT_BUS_NAME`).
   */
  audit: { retentionDays: number; eventBusName: string | undefined };
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  /** Whether metrics are published (EMF lines on stdout). */
  metrics: boolean;
}

export interface ApiGatewaySettings {
  restApiId: string;
  stage: string;
  keyWarmupSeconds: number;
  keyQueueUrl: string | undefined;
  tierPlans: Map<number, string>;
  keyCallsPerSecond: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const LOCAL_DEFAULTS = {
  TABLE_NAME: 'service-account-tokens',
  // The OpenID provider `npm start` runs (infra/local/oidc-provider.ts), on its default port.
  JWT_ISSUER: 'http://127.0.0.1:3000/oidc',
  JWT_AUDIENCE: 'service-account-tokens',
  JWKS_URL: 'http://127.0.0.1:3000/oidc/jwks',
} as const;

/** Where GitHub publishes the keys that sign its secret scanning reports. */
export const GITHUB_SECRET_SCANNING_KEYS_URL = 'https://api.github.com/meta/public_keys/secret_scanning';

class Reader {
  readonly insideLambda: boolean;
  constructor(private readonly env: Environment) {
    this.insideLambda = Boolean(env.AWS_LAMBDA_FUNCTION_NAME);
  }

  private value(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value === '' ? undefined : value;
  }

  /** A required value, defaulted only outside Lambda (where it would point at the wrong place). */
  text(name: string, localDefault?: string): string {
    const value = this.value(name);
    if (value !== undefined) return value;
    if (!this.insideLambda && localDefault !== undefined) return localDefault;
    throw new ConfigError(`Missing required environment variable ${name}`);
  }

  optional(name: string): string | undefined {
    return this.value(name);
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.value(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(`Environment variable ${name} must be an integer from ${min} to ${max}, got "${raw}"`);
    }
    return value;
  }

  url(name: string, fallback: string): string {
    const raw = this.value(name) ?? fallback;
    if (!URL.canParse(raw)) throw new ConfigError(`Environment variable ${name} must be an absolute URL, got "${raw}"`);
    return raw;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.value(name)?.toUpperCase();
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      throw new ConfigError(`Environment variable ${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
    }
    return raw as T;
  }

  /** A yes/no setting: true, 1, yes or on (any case) for yes; unset for `fallback`. */
  flag(name: string, fallback: boolean): boolean {
    const raw = this.value(name);
    return raw === undefined ? fallback : ['true', '1', 'yes', 'on'].includes(raw.toLowerCase());
  }

  /** Either all of the names are set, or none. */
  group<K extends string>(names: readonly K[]): Record<K, string> | undefined {
    const set = names.filter((name) => this.value(name) !== undefined);
    if (set.length === 0) return undefined;
    if (set.length < names.length) {
      throw new ConfigError(
        `Set all of ${names.join(', ')} or none; missing ${names.filter((n) => !set.includes(n)).join(', ')}`,
      );
    }
    return Object.fromEntries(names.map((name) => [name, this.value(name)!])) as Record<K, string>;
  }
}

/** Loopback issuers are for a developer's machine: inside Lambda the setting is a mistake, said at init. */
function loopbackIssuers(read: Reader): boolean {
  const allowed = read.flag('FEDERATION_ALLOW_LOOPBACK_ISSUERS', false);
  if (allowed && read.insideLambda) {
    throw new ConfigError(
      'FEDERATION_ALLOW_LOOPBACK_ISSUERS is for local development only: in AWS, issuers must be public https hosts',
    );
  }
  return allowed;
}

/** `TIER_PLANS`: `<rps>=<usage plan id>` pairs, comma-separated (the stack writes it). */
function tierPlans(raw: string | undefined): Map<number, string> {
  const plans = new Map<number, string>();
  for (const pair of raw ? raw.split(',') : []) {
    const match = /^([1-9][0-9]*)=(\w+)$/.exec(pair);
    if (!match) throw new ConfigError(`Environment variable TIER_PLANS must be <rps>=<plan id>,..., got "${pair}"`);
    plans.set(Number(match[1]), match[2]!);
  }
  return plans;
}

/** Reads and checks every setting; throws ConfigError naming the first bad one. */
export function readConfig(env: Environment): Config {
  const read = new Reader(env);
  const apiGateway = read.group(['REST_API_ID', 'API_STAGE'] as const);
  const metricsDisabled = read.optional('POWERTOOLS_METRICS_DISABLED');
  return {
    tableName: read.text('TABLE_NAME', LOCAL_DEFAULTS.TABLE_NAME),
    dynamodbEndpoint: read.optional('DYNAMODB_ENDPOINT'),
    region: read.optional('AWS_REGION') ?? 'local',
    jwt: {
      jwksUrl: read.text('JWKS_URL', LOCAL_DEFAULTS.JWKS_URL),
      issuer: read.text('JWT_ISSUER', LOCAL_DEFAULTS.JWT_ISSUER),
      audience: read.text('JWT_AUDIENCE', LOCAL_DEFAULTS.JWT_AUDIENCE),
      userClaim: read.optional('JWT_USER_CLAIM') ?? 'sub',
      accountTypeCacheSeconds: read.integer('JWT_ACCOUNT_TYPE_CACHE_SECONDS', 30, 0, 3_600),
    },
    tokens: {
      limitPerAccount: read.integer('TOKEN_LIMIT_PER_ACCOUNT', 50, 1, 10_000),
      maxLifetimeDays: read.integer('TOKEN_MAX_LIFETIME_DAYS', 365, 1, 36_500),
      retentionDays: read.integer('EXPIRED_TOKEN_RETENTION_DAYS', 30, 0, 3_650),
      lastUsedWriteIntervalSeconds: read.integer('LAST_USED_WRITE_INTERVAL_SECONDS', 60, 1, 86_400),
      maxRps: Math.min(read.integer('MAX_RPS', MAX_RPS_CEILING, 1, MAX_RPS_CEILING), TOKEN_MAX_RPS),
      requireAllowedCidrs: read.flag('REQUIRE_ALLOWED_CIDRS', false),
      rateLimitedMax: read.integer('RATE_LIMITED_MAX', 8_000, 1, 10_000),
    },
    apiGateway: apiGateway && {
      restApiId: apiGateway.REST_API_ID,
      stage: apiGateway.API_STAGE,
      keyWarmupSeconds: read.integer('NEW_KEY_WARMUP_SECONDS', 60, 0, 3_600),
      keyQueueUrl: read.optional('KEY_QUEUE_URL'),
      tierPlans: tierPlans(read.optional('TIER_PLANS')),
      keyCallsPerSecond: read.integer('KEY_WORKER_CALLS_PER_SECOND', 4, 1, 9),
    },
    lifecycle: { suspendUnusedAfterDays: read.integer('SUSPEND_UNUSED_AFTER_DAYS', 0, 0, 3_650) || undefined },
    secretScanning: { githubKeysUrl: read.url('GITHUB_SECRET_SCANNING_KEYS_URL', GITHUB_SECRET_SCANNING_KEYS_URL) },
    federation: { issuers: { allowLoopback: loopbackIssuers(read) } },
    audit: {
      retentionDays: read.integer('AUDIT_RETENTION_DAYS', 400, 1, 3_650),
      eventBusName: read.optional('EVENT_BUS_NAME'),
    },
    logLevel: read.oneOf('POWERTOOLS_LOG_LEVEL', ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'] as const, 'INFO'),
    metrics:
      metricsDisabled === undefined
        ? read.insideLambda
        : !['true', '1', 'yes', 'on'].includes(metricsDisabled.toLowerCase()),
  };
}
