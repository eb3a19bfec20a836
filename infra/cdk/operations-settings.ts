import type { Node } from 'constructs';
import { email, flag, integer, oneOf, SettingsError, text } from './context-values.js';

/** CodeDeploy's predefined Lambda deployment configurations (the `CodeDeployDefault.Lambda` ones). */
export const ROLLOUTS = [
  'Canary10Percent5Minutes',
  'Canary10Percent10Minutes',
  'Canary10Percent15Minutes',
  'Canary10Percent30Minutes',
  'Linear10PercentEvery1Minute',
  'Linear10PercentEvery2Minutes',
  'Linear10PercentEvery3Minutes',
  'Linear10PercentEvery10Minutes',
  'AllAtOnce',
] as const;
export type Rollout = (typeof ROLLOUTS)[number];

/**
 * How the stage is run: who is paged, how a new version reaches traffic, what shields the
 * API, and what the stack may change outside itself. Read from CDK context, as every
 * setting (docs/deploy.md, docs/operations.md).
 */
export interface OperationsSettings {
  /**
   * Create the account-level role that lets API Gateway write logs, and set it in the
   * account's API Gateway settings for this Region. It is shared with every API there,
   * so the stack leaves it alone unless asked.
   * @default false
   */
  apiGatewayCloudWatchRole: boolean;
  /**
   * API Gateway's per-method metrics (billed as custom metrics). The stage-wide metrics the
   * alarms and the dashboard read come without them.
   * @default true
   */
  apiDetailedMetrics: boolean;
  /**
   * An e-mail address subscribed to the alarm topic the stack creates.
   * @default none
   */
  alarmEmail: string | undefined;
  /**
   * An existing SNS topic for the alarms (your paging system's), instead of one of the
   * stack's own. Its policy (and key) must let CloudWatch publish.
   * @default none: the stack creates a topic (output AlarmTopicArn)
   */
  alarmTopicArn: string | undefined;
  /**
   * How CodeDeploy shifts traffic to a new version of each function behind the API.
   * @default "Canary10Percent5Minutes"
   */
  rollout: Rollout;
  /**
   * A WAF web ACL on the API stage.
   * @default true
   */
  waf: boolean;
  /**
   * Requests one IP address may send to the whole API in 5 minutes.
   * @default 20000
   */
  wafRateLimit: number;
  /**
   * Requests one IP address may send to the token exchange in 5 minutes.
   * @default 300
   */
  wafTokenExchangeRateLimit: number;
  /**
   * Requests one IP address may send to the secret-scanning route in 5 minutes.
   * @default 600
   */
  wafSecretScanningRateLimit: number;
  /**
   * AWS's managed common rule set (the core rule set) in the web ACL.
   * @default true
   */
  wafCommonRuleSet: boolean;
}

export const DEFAULT_OPERATIONS: OperationsSettings = {
  apiGatewayCloudWatchRole: false,
  apiDetailedMetrics: true,
  alarmEmail: undefined,
  alarmTopicArn: undefined,
  rollout: 'Canary10Percent5Minutes',
  waf: true,
  wafRateLimit: 20_000,
  wafTokenExchangeRateLimit: 300,
  wafSecretScanningRateLimit: 600,
  wafCommonRuleSet: true,
};

const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

/** WAF's bounds for a rate-based rule's limit. */
const WAF_LIMIT = { min: 10, max: 2_000_000_000 };

export function readOperationsSettings(node: Node): OperationsSettings {
  const alarmEmail = email(node, 'alarmEmail');
  const alarmTopicArn = text(node, 'alarmTopicArn', '', SNS_TOPIC_ARN) || undefined;
  // A subscription the stack made on someone else's topic would be deleted with the stack.
  if (alarmEmail && alarmTopicArn) {
    throw new SettingsError(
      'Context alarmEmail and alarmTopicArn exclude each other: subscribe the address to your topic yourself',
    );
  }
  const limit = (key: string, fallback: number) => integer(node, key, fallback, WAF_LIMIT.min, WAF_LIMIT.max);
  return {
    apiGatewayCloudWatchRole: flag(node, 'apiGatewayCloudWatchRole', DEFAULT_OPERATIONS.apiGatewayCloudWatchRole),
    apiDetailedMetrics: flag(node, 'apiDetailedMetrics', DEFAULT_OPERATIONS.apiDetailedMetrics),
    alarmEmail,
    alarmTopicArn,
    rollout: oneOf(node, 'rollout', ROLLOUTS, DEFAULT_OPERATIONS.rollout),
    waf: flag(node, 'waf', DEFAULT_OPERATIONS.waf),
    wafRateLimit: limit('wafRateLimit', DEFAULT_OPERATIONS.wafRateLimit),
    wafTokenExchangeRateLimit: limit('wafTokenExchangeRateLimit', DEFAULT_OPERATIONS.wafTokenExchangeRateLimit),
    wafSecretScanningRateLimit: limit('wafSecretScanningRateLimit', DEFAULT_OPERATIONS.wafSecretScanningRateLimit),
    wafCommonRuleSet: flag(node, 'wafCommonRuleSet', DEFAULT_OPERATIONS.wafCommonRuleSet),
  };
}
