import { createPublicKey, type KeyObject } from 'node:crypto';

/**
 * GitHub's secret scanning signing keys, fetched from its published list and kept in
 * memory: the list is read once per `cacheSeconds`, and again when a request names a key
 * it does not hold (GitHub has rotated), but never more than once per `cooldownSeconds`,
 * so a stream of requests naming made-up keys cannot turn into a stream of fetches.
 */
export interface GitHubKeysOptions {
  url: string;
  /** How long a fetched list is used. @default 1800 */
  cacheSeconds?: number;
  /** Least time between two fetches. @default 60 */
  cooldownSeconds?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

/** The keys could not be read: the report cannot be verified now (GitHub retries). */
export class KeysUnavailableError extends Error {
  override name = 'KeysUnavailableError';
}

interface PublishedKeys {
  public_keys?: { key_identifier?: unknown; key?: unknown }[];
}

const FETCH_TIMEOUT_MS = 5_000;

export class GitHubSigningKeys {
  private keys = new Map<string, KeyObject>();
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private pending: Promise<void> | undefined;
  private lastError: unknown;
  private readonly cacheMs: number;
  private readonly cooldownMs: number;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;

  constructor(private readonly options: GitHubKeysOptions) {
    this.cacheMs = (options.cacheSeconds ?? 1_800) * 1000;
    this.cooldownMs = (options.cooldownSeconds ?? 60) * 1000;
    this.fetch = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
  }

  /**
   * The key GitHub names, or undefined when GitHub publishes no such key. Throws
   * KeysUnavailableError when the list cannot be read and none was read before.
   */
  async key(identifier: string): Promise<KeyObject | undefined> {
    const t = this.now();
    const stale = t - this.fetchedAt >= this.cacheMs;
    if (this.pending || ((stale || !this.keys.has(identifier)) && t - this.attemptedAt >= this.cooldownMs)) {
      // GitHub unreachable: keys read earlier still verify (GitHub retires keys slowly).
      await this.refresh().catch((error: unknown) => {
        this.lastError = error;
      });
    }
    if (this.keys.size === 0)
      throw new KeysUnavailableError('GitHub’s signing keys could not be read', { cause: this.lastError });
    return this.keys.get(identifier);
  }

  private refresh(): Promise<void> {
    // Concurrent requests share one fetch.
    this.pending ??= this.load().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async load(): Promise<void> {
    this.attemptedAt = this.now();
    let published: PublishedKeys;
    try {
      const response = await this.fetch(this.options.url, {
        headers: { Accept: 'application/json', 'User-Agent': 'service-account-tokens' },
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      published = (await response.json()) as PublishedKeys;
    } catch (error) {
      throw new KeysUnavailableError(`Could not read the signing keys: ${(error as Error).message}`, { cause: error });
    }
    const keys = new Map<string, KeyObject>();
    for (const entry of published.public_keys ?? []) {
      if (typeof entry.key_identifier !== 'string' || typeof entry.key !== 'string') continue;
      try {
        keys.set(entry.key_identifier, createPublicKey(entry.key));
      } catch {
        // One unreadable key does not make the others unusable.
      }
    }
    this.keys = keys;
    this.fetchedAt = this.now();
  }
}
