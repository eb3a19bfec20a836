import { randomInt } from 'node:crypto';

/** The REST API stage whose usage plans and keys this service manages. */
export interface ApiStage {
  restApiId: string;
  stage: string;
}

/**
 * Names of the keys and plans this service creates.
 *
 * - The prefix names the API and stage, so reconcile only ever touches its own: never the
 *   stack's unthrottled key, nor another deployment's keys in the same account and Region.
 * - Each creation gets its own suffix, so that when a create fails with its answer lost,
 *   what it may have made can be found by name and removed without touching what a
 *   concurrent request made for the same token or rate.
 */
export interface GatewayNames {
  prefix: string;
  key(lookupId: string, maxRps: number, attempt: string): string;
  plan(maxRps: number, attempt: string): string;
  /** The plan's bridge key: what new keys of that rate present while they warm up. */
  bridge(maxRps: number, attempt: string): string;
  /** The tag every key and plan of ours carries; the functions' IAM policies require it. */
  tags: Record<string, string>;
  /** The rate a plan of ours is for, from its name; undefined for any other name. */
  rateOfPlan(name: string): number | undefined;
}

const ATTEMPT_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A random suffix for one creation attempt (about 36 bits: unique among the few attempts that can race). */
export function attemptSuffix(): string {
  let suffix = '';
  for (let i = 0; i < 6; i++) suffix += ATTEMPT_ALPHABET[randomInt(ATTEMPT_ALPHABET.length)];
  return suffix;
}

/** The tag key on every key and plan of ours, and its value for a stage (IAM conditions name both). */
export const STAGE_TAG = 'service-account-tokens:stage';
export const stageTagValue = (target: ApiStage): string => `${target.restApiId}/${target.stage}`;

export function gatewayNames(target: ApiStage): GatewayNames {
  const prefix = `sat-${target.restApiId}-${target.stage}-`;
  return {
    prefix,
    key: (lookupId, maxRps, attempt) => `${prefix}${lookupId}-rps${maxRps}-${attempt}`,
    plan: (maxRps, attempt) => `${prefix}rps${maxRps}-${attempt}`,
    bridge: (maxRps, attempt) => `${prefix}bridge-rps${maxRps}-${attempt}`,
    tags: { [STAGE_TAG]: stageTagValue(target) },
    rateOfPlan: (name) => {
      if (!name.startsWith(prefix)) return undefined;
      const match = /^rps([1-9][0-9]*)-[0-9A-Za-z]+$/.exec(name.slice(prefix.length));
      return match ? Number(match[1]) : undefined;
    },
  };
}
