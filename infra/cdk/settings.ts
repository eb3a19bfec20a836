import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { email, flag, integer, oneOf, origins, SettingsError, text, url } from './context-values.js';
import { defaultStackName } from './stack-name.js';
import { DEFAULT_OPERATIONS, type OperationsSettings, readOperationsSettings } from './operations-settings.js';

export { SettingsError } from './context-values.js';

/**
 * Deployment settings, read from CDK context (`-c key=value` on the command line, or
 * `context` in cdk.json). Each one is checked at synth time, so a typo fails `cdk synth`
 * instead of the first request in AWS. The function-level ranges are the ones
 * `shared/kernel/config.ts` enforces at run time.
 */
export interface ServiceSettings extends OperationsSettings {
  /**
   * API Gateway stage name; part of the API URL, and of the stacks' names.
   * @default "prod"
   */
  stageName: string;
  /**
   * The API stack's name (the console's is this with `-console`). Set it only to keep a
   * stack deployed before stage names were part of it (`ServiceAccountTokens`).
   * @default "ServiceAccountTokens-<stageName>"
   */
  stackName: string;
  /**
   * Deploy the console's stack (S3 and CloudFront) beside the API's.
   * @default true
   */
  console: boolean;
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
   * Every new token of every service account must carry allowedCidrs (REQUIRE_ALLOWED_CIDRS).
   * @default false
   */
  requireAllowedCidrs: boolean;
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
   * Retention of every log group the stacks make, in days (a CloudWatch Logs retention value).
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
   * The most tokens and federation policies with a `maxRps` the stage holds (each has an
   * API key of its own; an account has 10,000 per Region, not adjustable); beyond it,
   * creates and changes that set a limit answer 409 RATE_LIMIT_CAPACITY_REACHED.
   * @default 8000
   */
  rateLimitedMax: number;
  /**
   * The key worker's control-plane calls per second: a share of the account's 10 a second
   * (burst 40), which every other API and deployment in the account and Region shares.
   * @default 4
   */
  keyWorkerCallsPerSecond: number;
  /**
   * Seconds a key that joined a usage plan is given before it is presented: API Gateway may
   * take a while to honour it, and until then the token presents its tier's pooled key.
   * See docs/rate-limiting.md.
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
}

const PLACEHOLDER_ISSUER = 'https://identity-provider-not-configured.invalid';

export const DEFAULT_SETTINGS: ServiceSettings = {
  stageName: 'prod',
  stackName: defaultStackName('prod'),
  console: true,
  jwksUrl: `${PLACEHOLDER_ISSUER}/.well-known/jwks.json`,
  jwtIssuer: PLACEHOLDER_ISSUER,
  jwtAudience: 'service-account-tokens',
  jwtUserClaim: 'sub',
  tokenLimit: 50,
  tokenMaxLifetimeDays: 365,
  requireAllowedCidrs: false,
  retentionDays: 30,
  ephemeral: false,
  logLevel: 'INFO',
  logRetentionDays: RetentionDays.ONE_MONTH,
  apiRateLimit: 10_000,
  apiBurstLimit: 5_000,
  rateLimitedMax: 8_000,
  keyWorkerCallsPerSecond: 4,
  newKeyWarmupSeconds: 60,
  consoleClientId: '',
  consoleScope: 'openid',
  consoleAudienceParameter: 'none',
  consoleBearer: 'access_token',
  consoleConnectOrigins: [],
  auditRetentionDays: 400,
  suspendUnusedAfterDays: 0,
  notifyEmail: undefined,
  ...DEFAULT_OPERATIONS,
};

/** True while the identity provider is still the placeholder: worth a synth-time warning. */
export function identityProviderMissing(settings: ServiceSettings): boolean {
  return settings.jwksUrl.startsWith(PLACEHOLDER_ISSUER) || settings.jwtIssuer === PLACEHOLDER_ISSUER;
}

function logLevel(node: Node): ServiceSettings['logLevel'] {
  const value = text(node, 'logLevel', DEFAULT_SETTINGS.logLevel).toUpperCase();
  if (value === 'DEBUG' || value === 'INFO' || value === 'WARN' || value === 'ERROR') return value;
  throw new SettingsError(`Context logLevel must be DEBUG, INFO, WARN or ERROR, got "${value}"`);
}

function logRetention(node: Node): RetentionDays {
  const days = integer(node, 'logRetentionDays', DEFAULT_SETTINGS.logRetentionDays, 1, 3653);
  const allowed = Object.values(RetentionDays).filter(
    (value): value is number => typeof value === 'number' && value > 0,
  );
  if (!allowed.includes(days)) {
    throw new SettingsError(
      `Context logRetentionDays must be one of ${allowed.sort((a, b) => a - b).join(', ')}, got ${days}`,
    );
  }
  return days as RetentionDays;
}

/** Reads and checks every setting from the construct tree's context. */
export function readSettings(node: Node): ServiceSettings {
  // Stage names become URL path segments, ARN parts and stack names (which allow no
  // underscore): letters, digits and hyphens.
  const stageName = text(node, 'stageName', DEFAULT_SETTINGS.stageName, /^[A-Za-z0-9-]{1,64}$/);
  const settings: ServiceSettings = {
    stageName,
    // CloudFormation's own rule for stack names, with room for the console's `-console`.
    stackName: text(node, 'stackName', defaultStackName(stageName), /^[A-Za-z][A-Za-z0-9-]{0,99}$/),
    console: flag(node, 'console', DEFAULT_SETTINGS.console),
    jwksUrl: url(node, 'jwksUrl', DEFAULT_SETTINGS.jwksUrl),
    jwtIssuer: text(node, 'jwtIssuer', DEFAULT_SETTINGS.jwtIssuer),
    jwtAudience: text(node, 'jwtAudience', DEFAULT_SETTINGS.jwtAudience),
    jwtUserClaim: text(node, 'jwtUserClaim', DEFAULT_SETTINGS.jwtUserClaim),
    tokenLimit: integer(node, 'tokenLimit', DEFAULT_SETTINGS.tokenLimit, 1, 10_000),
    tokenMaxLifetimeDays: integer(node, 'tokenMaxLifetimeDays', DEFAULT_SETTINGS.tokenMaxLifetimeDays, 1, 36_500),
    requireAllowedCidrs: flag(node, 'requireAllowedCidrs', DEFAULT_SETTINGS.requireAllowedCidrs),
    retentionDays: integer(node, 'retentionDays', DEFAULT_SETTINGS.retentionDays, 0, 3_650),
    ephemeral: flag(node, 'ephemeral', DEFAULT_SETTINGS.ephemeral),
    logLevel: logLevel(node),
    logRetentionDays: logRetention(node),
    apiRateLimit: integer(node, 'apiRateLimit', DEFAULT_SETTINGS.apiRateLimit, 1, 1_000_000),
    apiBurstLimit: integer(node, 'apiBurstLimit', DEFAULT_SETTINGS.apiBurstLimit, 0, 1_000_000),
    rateLimitedMax: integer(node, 'rateLimitedMax', DEFAULT_SETTINGS.rateLimitedMax, 1, 10_000),
    keyWorkerCallsPerSecond: integer(node, 'keyWorkerCallsPerSecond', DEFAULT_SETTINGS.keyWorkerCallsPerSecond, 1, 9),
    newKeyWarmupSeconds: integer(node, 'newKeyWarmupSeconds', DEFAULT_SETTINGS.newKeyWarmupSeconds, 0, 3_600),
    consoleClientId: text(node, 'consoleClientId', DEFAULT_SETTINGS.consoleClientId, /^[\x21-\x7e]{1,256}$/),
    consoleScope: text(
      node,
      'consoleScope',
      DEFAULT_SETTINGS.consoleScope,
      /^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/,
    ),
    consoleAudienceParameter: oneOf(
      node,
      'consoleAudienceParameter',
      ['none', 'resource', 'audience'] as const,
      DEFAULT_SETTINGS.consoleAudienceParameter,
    ),
    consoleBearer: oneOf(node, 'consoleBearer', ['access_token', 'id_token'] as const, DEFAULT_SETTINGS.consoleBearer),
    consoleConnectOrigins: origins(node, 'consoleConnectOrigins'),
    auditRetentionDays: integer(node, 'auditRetentionDays', DEFAULT_SETTINGS.auditRetentionDays, 1, 3_650),
    suspendUnusedAfterDays: integer(node, 'suspendUnusedAfterDays', DEFAULT_SETTINGS.suspendUnusedAfterDays, 0, 3_650),
    notifyEmail: email(node, 'notifyEmail'),
    ...readOperationsSettings(node),
  };
  return settings;
}
