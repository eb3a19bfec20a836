/**
 * The rates API Gateway enforces `maxRps` at: one usage plan per tier, made by
 * CloudFormation (infra/cdk/rate-tiers.ts). A token is held to the largest tier at or
 * below its `maxRps`, so the enforced rate is never above the configured one and never
 * more than 20 % below it. The ladder is the shortest that keeps that promise for every
 * value a token may have, 1 to `TOKEN_MAX_RPS`: from each tier t, the next is the first value t
 * cannot serve, ⌊1.25 t⌋ + 1. docs/rate-limiting.md lists it (generated from here).
 *
 * No imports: the console shows the enforced rate as its Max RPS editor is typed in.
 */

/**
 * The highest `maxRps` a token or a federation policy may have. Every call of a token reads
 * its one credential item, strongly consistently (one read unit for an item under 4 KB), and
 * DynamoDB serves one partition, so one item, at most 3,000 read units a second: a higher
 * limit could be set but never reached (docs/performance.md, "What one token can reach").
 * A policy's tokens share its limit, and each presents at most its tier's.
 */
export const TOKEN_MAX_RPS = 3_000;

/** The largest stage rate limit `MAX_RPS` may name; a token's own is at most `TOKEN_MAX_RPS`. */
export const MAX_RPS_CEILING = 10_000;

/** How far below the configured rate the enforced one may be, at most. */
export const TIER_SHORTFALL = 0.2;

function ladder(ceiling: number): number[] {
  const tiers = [1];
  // ⌊t / (1 − 0.2)⌋ = ⌊5t / 4⌋, in integers.
  for (let next = 2; next <= ceiling; next = Math.floor((tiers.at(-1)! * 5) / 4) + 1) tiers.push(next);
  return tiers;
}

/** Every tier, ascending. */
export const RATE_TIERS: readonly number[] = ladder(TOKEN_MAX_RPS);

/** The rate API Gateway holds a token of `maxRps` to: the largest tier at or below it. */
export function enforcedRate(maxRps: number): number {
  let enforced = RATE_TIERS[0]!;
  for (const tier of RATE_TIERS) if (tier <= maxRps) enforced = tier;
  return enforced;
}
