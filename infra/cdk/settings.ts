import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';

/**
 * Deployment settings, read from CDK context (`-c key=value` on the command line, or
 * `context` in cdk.json). Each one is checked at synth time, so a typo fails `cdk synth`
 * instead of the first request in AWS. The function-level ranges are the ones
 * `shared/config.ts` enforces at run time.
 */
export interface ServiceSettings {
  /**
   * API Gateway stage name; part of the API URL.
   * @default "prod"
   */
  stageName: string;
  /**
   * JWKS URL of the identity provider that signs the JWTs humans and UIs send.
   * @default a placeholder under `.invalid`: JWT callers are refused until it is set
   */
  jwksUrl: string;
  /**
   * Expected `iss` claim of those JWTs.
   * @default a placeholder under `.invalid`
   */
  jwtIssuer: string;
  /**
   * Expected `aud` claim of those JWTs.
   * @default "service-account-tokens"
   */
  jwtAudience: string;
  /**
   * Claim that names the caller (the directory's user id).
   * @default "sub"
   */
  jwtUserClaim: string;
  /**
   * Tokens a service account may hold, expired ones included.
   * @default 50
   */
  tokenLimit: number;
  /**
   * Longest lifetime a token may be created with, in days.
   * @default 365
   */
  tokenMaxLifetimeDays: number;
  /**
   * Days an expired token stays listed before DynamoDB TTL may remove it.
   * @default 30
   */
  retentionDays: number;
  /**
   * A throwaway stage: the table loses deletion protection and is deleted with the stack,
   * log groups too.
   * @default false
   */
  ephemeral: boolean;
  /**
   * `POWERTOOLS_LOG_LEVEL` of every function.
   * @default "INFO"
   */
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /**
   * Retention of function logs and API access logs, in days (a CloudWatch Logs retention value).
   * @default 30
   */
  logRetentionDays: RetentionDays;
  /**
   * Stage-wide steady-state request rate: the ceiling above every token's `maxRps`, which
   * may not exceed it (the API refuses a higher `maxRps`, so every value it accepts can be
   * reached). The account's own default is 10,000.
   * @default 10000
   */
  apiRateLimit: number;
  /**
   * Stage-wide burst. The account's own default is 5,000.
   * @default 5000
   */
  apiBurstLimit: number;
  /**
   * The account's usage plan quota in this Region (300 unless raised): an alarm fires when
   * the service's plans reach 90 % of it. One plan exists per distinct `maxRps` in use.
   * @default 300
   */
  usagePlanQuota: number;
  /**
   * Seconds a token's new API key is given before it is presented: API Gateway may take a
   * while to honour a new key, and until then the token presents its plan's bridge key
   * (same rate) or the shared key. See docs/rate-limiting.md.
   * @default 60
   */
  newKeyWarmupSeconds: number;
  /**
   * The console's client id at the identity provider (a public client: Authorization Code
   * with PKCE, no secret; redirect and sign-out URI `<ConsoleUrl>`). The provider is
   * `jwtIssuer`. Until set, the console is deployed but cannot sign in, and synth warns.
   * @default "" (not set)
   */
  consoleClientId: string;
  /**
   * Scopes the console asks for, space-separated (add your API's scope if the provider
   * needs one to issue a token for it).
   * @default "openid"
   */
  consoleScope: string;
  /**
   * How the console asks for a token whose audience is `jwtAudience`: `none` (the provider
   * decides, e.g. by scope), `resource` (RFC 8707) or `audience` (Auth0 and others).
   * @default "none"
   */
  consoleAudienceParameter: 'none' | 'resource' | 'audience';
  /**
   * The token the console sends the API: `access_token`, or `id_token` for providers whose
   * access tokens carry no `aud` (Amazon Cognito).
   * @default "access_token"
   */
  consoleBearer: 'access_token' | 'id_token';
  /**
   * Other origins the console's pages may call, comma-separated: the provider's token
   * endpoint when it is not on the issuer's origin (Cognito's hosted domain).
   * @default none
   */
  consoleConnectOrigins: string[];
  /**
   * Days an audit event is kept before DynamoDB TTL removes it. Deleting a token keeps its events.
   * @default 400
   */
  auditRetentionDays: number;
  /**
   * Suspend active tokens unused for this many days (never used: since creation); 0 turns
   * it off. Suspended, not deleted: an owner reactivates one as usual.
   * @default 0
   */
  suspendUnusedAfterDays: number;
  /**
   * An e-mail address subscribed to the lifecycle notices topic (expiry, unused-token
   * suspension, leaked tokens). AWS mails it a confirmation link first.
   * @default none: subscribe to the topic (output NotificationTopicArn) as you like
   */
  notifyEmail: string | undefined;
  /**
   * Create the account-level role that lets API Gateway write logs. Access and execution
   * logs need it once per account and region; set false when the account already has one.
   * @default true
   */
  apiGatewayCloudWatchRole: boolean;
}

const PLACEHOLDER_ISSUER = 'https://identity-provider-not-configured.invalid';

export const DEFAULT_SETTINGS: ServiceSettings = {
  stageName: 'prod',
  jwksUrl: `${PLACEHOLDER_ISSUER}/.well-known/jwks.json`,
  jwtIssuer: PLACEHOLDER_ISSUER,
  jwtAudience: 'service-account-tokens',
  jwtUserClaim: 'sub',
  tokenLimit: 50,
  tokenMaxLifetimeDays: 365,
  retentionDays: 30,
  ephemeral: false,
  logLevel: 'INFO',
  logRetentionDays: RetentionDays.ONE_MONTH,
  apiRateLimit: 10_000,
  apiBurstLimit: 5_000,
  usagePlanQuota: 300,
  newKeyWarmupSeconds: 60,
  consoleClientId: '',
  consoleScope: 'openid',
  consoleAudienceParameter: 'none',
  consoleBearer: 'access_token',
  consoleConnectOrigins: [],
  auditRetentionDays: 400,
  suspendUnusedAfterDays: 0,
  notifyEmail: undefined,
  apiGatewayCloudWatchRole: true,
};

export class SettingsError extends Error {
  override name = 'SettingsError';
}

/** True while the identity provider is still the placeholder: worth a synth-time warning. */
export function identityProviderMissing(settings: ServiceSettings): boolean {
  return settings.jwksUrl.startsWith(PLACEHOLDER_ISSUER) || settings.jwtIssuer === PLACEHOLDER_ISSUER;
}

function text(node: Node, key: string, fallback: string, pattern?: RegExp): string {
  const raw: unknown = node.tryGetContext(key);
  if (raw === undefined || raw === null || raw === '') return fallback;
  const value = String(raw);
  if (pattern && !pattern.test(value)) throw new SettingsError(`Context ${key} must match ${pattern}, got "${value}"`);
  return value;
}

function url(node: Node, key: string, fallback: string): string {
  const value = text(node, key, fallback);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new SettingsError(`Context ${key} must be an absolute URL, got "${value}"`);
  }
  // A JWKS fetched over plain HTTP could be swapped in transit, and every JWT with it.
  if (parsed.protocol !== 'https:') throw new SettingsError(`Context ${key} must be an https URL, got "${value}"`);
  return value;
}

function integer(node: Node, key: string, fallback: number, min: number, max: number): number {
  const raw: unknown = node.tryGetContext(key);
  if (raw === undefined || raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SettingsError(`Context ${key} must be an integer from ${min} to ${max}, got "${String(raw)}"`);
  }
  return value;
}

function flag(node: Node, key: string, fallback: boolean): boolean {
  const raw: unknown = node.tryGetContext(key);
  if (raw === undefined || raw === null || raw === '') return fallback;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw new SettingsError(`Context ${key} must be true or false, got "${String(raw)}"`);
}

function oneOf<T extends string>(node: Node, key: string, allowed: readonly T[], fallback: T): T {
  const value = text(node, key, fallback);
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new SettingsError(`Context ${key} must be one of ${allowed.join(', ')}, got "${value}"`);
}

/** https origins, comma-separated: what a Content Security Policy may name. */
function origins(node: Node, key: string): string[] {
  return text(node, key, '')
    .split(',')
    .map((value) => value.trim())
    .filter((value) => value !== '')
    .map((value) => {
      const parsed = URL.parse(value);
      if (!parsed || parsed.protocol !== 'https:' || parsed.origin !== value.replace(/\/$/, '')) throw new SettingsError(`Context ${key} must list https origins (https://host[:port]), got "${value}"`);
      return parsed.origin;
    });
}

function logLevel(node: Node): ServiceSettings['logLevel'] {
  const value = text(node, 'logLevel', DEFAULT_SETTINGS.logLevel).toUpperCase();
  if (value === 'DEBUG' || value === 'INFO' || value === 'WARN' || value === 'ERROR') return value;
  throw new SettingsError(`Context logLevel must be DEBUG, INFO, WARN or ERROR, got "${value}"`);
}

function logRetention(node: Node): RetentionDays {
  const days = integer(node, 'logRetentionDays', DEFAULT_SETTINGS.logRetentionDays, 1, 3653);
  const allowed = Object.values(RetentionDays).filter((value): value is number => typeof value === 'number' && value > 0);
  if (!allowed.includes(days)) {
    throw new SettingsError(`Context logRetentionDays must be one of ${allowed.sort((a, b) => a - b).join(', ')}, got ${days}`);
  }
  return days as RetentionDays;
}

/** Reads and checks every setting from the construct tree's context. */
export function readSettings(node: Node): ServiceSettings {
  const settings: ServiceSettings = {
    // Stage names become URL path segments and ARN parts: keep them plain.
    stageName: text(node, 'stageName', DEFAULT_SETTINGS.stageName, /^[A-Za-z0-9_-]{1,64}$/),
    jwksUrl: url(node, 'jwksUrl', DEFAULT_SETTINGS.jwksUrl),
    jwtIssuer: text(node, 'jwtIssuer', DEFAULT_SETTINGS.jwtIssuer),
    jwtAudience: text(node, 'jwtAudience', DEFAULT_SETTINGS.jwtAudience),
    jwtUserClaim: text(node, 'jwtUserClaim', DEFAULT_SETTINGS.jwtUserClaim),
    tokenLimit: integer(node, 'tokenLimit', DEFAULT_SETTINGS.tokenLimit, 1, 10_000),
    tokenMaxLifetimeDays: integer(node, 'tokenMaxLifetimeDays', DEFAULT_SETTINGS.tokenMaxLifetimeDays, 1, 36_500),
    retentionDays: integer(node, 'retentionDays', DEFAULT_SETTINGS.retentionDays, 0, 3_650),
    ephemeral: flag(node, 'ephemeral', DEFAULT_SETTINGS.ephemeral),
    logLevel: logLevel(node),
    logRetentionDays: logRetention(node),
    apiRateLimit: integer(node, 'apiRateLimit', DEFAULT_SETTINGS.apiRateLimit, 1, 1_000_000),
    apiBurstLimit: integer(node, 'apiBurstLimit', DEFAULT_SETTINGS.apiBurstLimit, 0, 1_000_000),
    usagePlanQuota: integer(node, 'usagePlanQuota', DEFAULT_SETTINGS.usagePlanQuota, 1, 100_000),
    newKeyWarmupSeconds: integer(node, 'newKeyWarmupSeconds', DEFAULT_SETTINGS.newKeyWarmupSeconds, 0, 3_600),
    consoleClientId: text(node, 'consoleClientId', DEFAULT_SETTINGS.consoleClientId, /^[\x21-\x7e]{1,256}$/),
    consoleScope: text(node, 'consoleScope', DEFAULT_SETTINGS.consoleScope, /^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/),
    consoleAudienceParameter: oneOf(node, 'consoleAudienceParameter', ['none', 'resource', 'audience'] as const, DEFAULT_SETTINGS.consoleAudienceParameter),
    consoleBearer: oneOf(node, 'consoleBearer', ['access_token', 'id_token'] as const, DEFAULT_SETTINGS.consoleBearer),
    consoleConnectOrigins: origins(node, 'consoleConnectOrigins'),
    auditRetentionDays: integer(node, 'auditRetentionDays', DEFAULT_SETTINGS.auditRetentionDays, 1, 3_650),
    suspendUnusedAfterDays: integer(node, 'suspendUnusedAfterDays', DEFAULT_SETTINGS.suspendUnusedAfterDays, 0, 3_650),
    // One plain address: SNS takes nothing else for an e-mail subscription.
    notifyEmail: text(node, 'notifyEmail', '', /^[^\s@",;<>]+@[^\s@",;<>]+\.[A-Za-z]{2,}$/) || undefined,
    apiGatewayCloudWatchRole: flag(node, 'apiGatewayCloudWatchRole', DEFAULT_SETTINGS.apiGatewayCloudWatchRole),
  };
  return settings;
}
