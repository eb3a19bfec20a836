import { randomBytes } from 'node:crypto';
import type { ApiGateway } from './api-gateway.mjs';
import { isNotFound } from './errors.js';

const KEY_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** API Gateway takes 20 to 128 characters; 40 of base62 is about 238 bits. */
export const KEY_VALUE_LENGTH = 40;

/**
 * A fresh key value, unrelated to the token: the key travels in API Gateway's usage data
 * and the table, where the token's secret must never be.
 */
export function newKeyValue(): string {
  let value = '';
  while (value.length < KEY_VALUE_LENGTH) {
    for (const byte of randomBytes(KEY_VALUE_LENGTH)) {
      // 248 = 4 * 62: rejecting the rest keeps every character equally likely.
      if (byte < 248 && value.length < KEY_VALUE_LENGTH) value += KEY_ALPHABET[byte % 62];
    }
  }
  return value;
}

/**
 * Creates a key of ours, tagged as this stage's: the functions' IAM policies let them
 * create only keys carrying that tag, and touch only keys that carry it. A key whose
 * create answer was lost is left for reconcile to find (listing keys is not on the
 * request path: it would show every key's value in the account).
 */
export async function createApiKey(
  gateway: ApiGateway,
  key: { name: string; enabled: boolean; description: string; tags: Record<string, string> },
): Promise<{ id: string; value: string }> {
  const value = newKeyValue();
  const created = await gateway.createApiKey({ ...key, value });
  if (!created.id) throw new Error('API Gateway created an API key without an id');
  return { id: created.id, value };
}

/** Deleting a key also takes it out of its plans; one already gone is not an error. */
export async function deleteApiKey(gateway: ApiGateway, apiKeyId: string): Promise<void> {
  try {
    await gateway.deleteApiKey({ apiKey: apiKeyId });
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

export async function addKeyToPlan(gateway: ApiGateway, planId: string, apiKeyId: string): Promise<void> {
  try {
    await gateway.createUsagePlanKey({ usagePlanId: planId, keyId: apiKeyId, keyType: 'API_KEY' });
  } catch (error) {
    // Conflict is "already there" on a retry, or "in another plan of this stage": only
    // the first is success.
    if ((error as { name?: string })?.name !== 'ConflictException') throw error;
    try {
      await gateway.getUsagePlanKey({ usagePlanId: planId, keyId: apiKeyId });
    } catch (lookupError) {
      throw isNotFound(lookupError) ? error : lookupError;
    }
  }
}

export async function removeKeyFromPlan(gateway: ApiGateway, planId: string, apiKeyId: string): Promise<void> {
  try {
    await gateway.deleteUsagePlanKey({ usagePlanId: planId, keyId: apiKeyId });
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}
