import { randomBytes } from 'node:crypto';
import type { IdGenerator } from './ports.js';
import { mintSecret, mintToken } from './token-format.js';

/**
 * An event id that sorts by time: the millisecond in base 36 (nine digits last until the
 * year 5188), then 48 random bits, so two events of one millisecond still differ.
 */
export function eventId(at: Date): string {
  return `${at.getTime().toString(36).padStart(9, '0')}${randomBytes(6).toString('hex')}`;
}

/** The randomness of the running service (tests may swap it through the runtime's parts). */
export const ids: IdGenerator = { mintToken, mintSecret, eventId };

/** A federation policy's id: `fp` and 16 base-36 characters (80 random bits). */
export function newPolicyId(): string {
  let id = '';
  for (const byte of randomBytes(16)) id += (byte % 36).toString(36);
  return `fp${id}`;
}
