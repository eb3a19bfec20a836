/**
 * What a throttled client is told, in AWS (the THROTTLED gateway response) and locally.
 *
 * The RateLimit fields follow draft-ietf-httpapi-ratelimit-headers-11: each is a
 * Structured Fields List (RFC 9651) whose items are the policy name, a String, with
 * parameters. `RateLimit-Policy` gives the quota `q` (in requests, the default unit) per
 * window `w` seconds; `RateLimit` gives the quota left `r` and the effective window `t`.
 * A token has one policy: N requests per second, the usage plan's rate and burst.
 */
export const RATE_LIMIT_POLICY = 'maxrps';

/**
 * A token bucket of rate N refills one request within 1/N s <= 1 s, so a refused client
 * may always retry after one second; `t` equals it, as the draft asks that Retry-After
 * not point before the end of the effective window.
 */
export const THROTTLED_RETRY_AFTER_SECONDS = 1;

export function rateLimitPolicy(maxRps: number): string {
  return `"${RATE_LIMIT_POLICY}";q=${maxRps};w=1`;
}

export function throttledHeaders(
  maxRps: number,
  retryAfterSeconds: number = THROTTLED_RETRY_AFTER_SECONDS,
): Record<string, string> {
  return {
    'Retry-After': String(retryAfterSeconds),
    'RateLimit-Policy': rateLimitPolicy(maxRps),
    RateLimit: `"${RATE_LIMIT_POLICY}";r=0;t=${retryAfterSeconds}`,
  };
}
