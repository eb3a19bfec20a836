import type { Node } from 'constructs';

/**
 * Readers of single CDK context values (`-c key=value` on the command line, or `context`
 * in cdk.json): each checks its value at synth time, so that a typo fails `cdk synth`
 * instead of the first request in AWS, and names the key in its message.
 */

export class SettingsError extends Error {
  override name = 'SettingsError';
}

const missing = (raw: unknown) => raw === undefined || raw === null || raw === '';

export function text(node: Node, key: string, fallback: string, pattern?: RegExp): string {
  const raw: unknown = node.tryGetContext(key);
  if (missing(raw)) return fallback;
  const value = String(raw);
  if (pattern && !pattern.test(value)) throw new SettingsError(`Context ${key} must match ${pattern}, got "${value}"`);
  return value;
}

/** An absolute https URL. */
export function url(node: Node, key: string, fallback: string): string {
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

export function integer(node: Node, key: string, fallback: number, min: number, max: number): number {
  const raw: unknown = node.tryGetContext(key);
  if (missing(raw)) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SettingsError(`Context ${key} must be an integer from ${min} to ${max}, got "${String(raw)}"`);
  }
  return value;
}

export function flag(node: Node, key: string, fallback: boolean): boolean {
  const raw: unknown = node.tryGetContext(key);
  if (missing(raw)) return fallback;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw new SettingsError(`Context ${key} must be true or false, got "${String(raw)}"`);
}

export function oneOf<T extends string>(node: Node, key: string, allowed: readonly T[], fallback: T): T {
  const value = text(node, key, fallback);
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new SettingsError(`Context ${key} must be one of ${allowed.join(', ')}, got "${value}"`);
}

/** https origins, comma-separated: what a Content Security Policy may name. */
export function origins(node: Node, key: string): string[] {
  return text(node, key, '')
    .split(',')
    .map((value) => value.trim())
    .filter((value) => value !== '')
    .map((value) => {
      const parsed = URL.parse(value);
      if (parsed?.protocol !== 'https:' || parsed.origin !== value.replace(/\/$/, '')) {
        throw new SettingsError(`Context ${key} must list https origins (https://host[:port]), got "${value}"`);
      }
      return parsed.origin;
    });
}

/** One plain address, or undefined: SNS takes nothing else for an e-mail subscription. */
export function email(node: Node, key: string): string | undefined {
  return text(node, key, '', /^[^\s@",;<>]+@[^\s@",;<>]+\.[A-Za-z]{2,}$/) || undefined;
}
