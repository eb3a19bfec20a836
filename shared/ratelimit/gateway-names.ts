/** The REST API stage whose keys this service makes. */
export interface ApiStage {
  restApiId: string;
  stage: string;
}

/** The tag key on every key of ours and every tier plan, and its value for a stage (IAM conditions name both). */
export const STAGE_TAG = 'service-account-tokens:stage';
export const stageTagValue = (target: ApiStage): string => `${target.restApiId}/${target.stage}`;

/**
 * The start of the name of every key the worker makes (the rest is its owner's lookup or
 * policy id): reconcile judges only keys of this API and stage, never the stack's own
 * keys, nor another deployment's in the same account and Region.
 */
export const keyNamePrefix = (target: ApiStage): string => `sat-${target.restApiId}-${target.stage}-`;
