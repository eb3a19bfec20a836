/**
 * The one place environment variables are read. Each value is read once, on first
 * use, and checked: a Lambda with a missing or malformed setting fails at its first
 * invocation with a message naming the variable, never later with a confusing error.
 *
 * Outside Lambda (the local runtime, tests, scripts) the local defaults apply; inside
 * Lambda the stack sets every value and nothing is defaulted that could point at the
 * wrong place.
 */

export interface Config {
  tableName: string;
  /** DynamoDB endpoint override (DynamoDB Local); unset in AWS. */
  dynamodbEndpoint: string | undefined;
  region: string;
  jwksUrl: string;
  jwtIssuer: string;
  jwtAudience: string;
  /** Claim that names the caller in a JWT. @default "sub" */
  jwtUserClaim: string;
  /** Stored tokens per service account, expired ones included. @default 50 */
  tokenLimitPerAccount: number;
  /** Longest lifetime a token may be created with, in days. @default 365 */
  tokenMaxLifetimeDays: number;
  /** How long an expired token stays listed before TTL may remove it. @default 30 */
  expiredTokenRetentionDays: number;
  /** Minimum interval between two `lastUsedAt` writes of one token. @default 60 */
  lastUsedWriteIntervalSeconds: number;
  /**
   * API Gateway wiring for `maxRps` (AWS only; all unset locally, where the local gateway
   * throttles instead): the REST API id, its stage name, and the id of the key in the
   * unthrottled usage plan that JWT callers and unlimited tokens share.
   */
  apiGateway: { restApiId: string; stage: string; unthrottledApiKeyId: string } | undefined;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const insideLambda = (): boolean => Boolean(process.env.AWS_LAMBDA_FUNCTION_NAME);

export const LOCAL_DEFAULTS = {
  TABLE_NAME: 'service-account-tokens',
  JWT_ISSUER: 'https://local-dev-issuer.invalid',
  JWT_AUDIENCE: 'service-account-tokens',
  JWKS_URL: 'http://127.0.0.1:3000/.well-known/jwks.json',
} as const;

/** A required value, defaulted only outside Lambda (where it would point at the wrong place). */
function text(name: string, localDefault?: string): string {
  const value = process.env[name];
  if (value !== undefined && value !== '') return value;
  if (!insideLambda() && localDefault !== undefined) return localDefault;
  throw new ConfigError(`Missing required environment variable ${name}`);
}

/** An optional value with the same default everywhere. */
function optional(name: string, fallback: string): string {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : value;
}

function integer(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`Environment variable ${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function apiGatewaySettings(): Config['apiGateway'] {
  const names = ['REST_API_ID', 'API_STAGE', 'UNTHROTTLED_API_KEY_ID'] as const;
  const set = names.filter((name) => process.env[name]);
  if (set.length === 0) return undefined;
  if (set.length < names.length) {
    throw new ConfigError(`Set all of ${names.join(', ')} or none; missing ${names.filter((n) => !process.env[n]).join(', ')}`);
  }
  return {
    restApiId: process.env.REST_API_ID!,
    stage: process.env.API_STAGE!,
    unthrottledApiKeyId: process.env.UNTHROTTLED_API_KEY_ID!,
  };
}

function read(): Config {
  return {
    tableName: text('TABLE_NAME', LOCAL_DEFAULTS.TABLE_NAME),
    dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT || undefined,
    region: process.env.AWS_REGION || 'local',
    jwksUrl: text('JWKS_URL', LOCAL_DEFAULTS.JWKS_URL),
    jwtIssuer: text('JWT_ISSUER', LOCAL_DEFAULTS.JWT_ISSUER),
    jwtAudience: text('JWT_AUDIENCE', LOCAL_DEFAULTS.JWT_AUDIENCE),
    jwtUserClaim: optional('JWT_USER_CLAIM', 'sub'),
    tokenLimitPerAccount: integer('TOKEN_LIMIT_PER_ACCOUNT', 50, 1, 10_000),
    tokenMaxLifetimeDays: integer('TOKEN_MAX_LIFETIME_DAYS', 365, 1, 36_500),
    expiredTokenRetentionDays: integer('EXPIRED_TOKEN_RETENTION_DAYS', 30, 0, 3_650),
    lastUsedWriteIntervalSeconds: integer('LAST_USED_WRITE_INTERVAL_SECONDS', 60, 1, 86_400),
    apiGateway: apiGatewaySettings(),
  };
}

let cached: Config | undefined;

/** The configuration, read and checked on first call. */
export function config(): Config {
  cached ??= read();
  return cached;
}

/** Forget the cached configuration (the local runtime and tests change the environment). */
export function resetConfig(): void {
  cached = undefined;
}
