import { describe, expect, it } from '@jest/globals';
import { ConcurrentUpdateError } from '../../shared/kernel/errors.js';
import { ids } from '../../shared/kernel/ids.js';
import type { TokenCredential } from '../../shared/kernel/model.js';
import type { TokenExposures } from '../../shared/scanning/ports.js';
import { handleReports } from '../../shared/scanning/exposure.js';
import { mintToken } from '../../shared/kernel/token-format.js';
import type { TokenEvent } from '../../shared/kernel/events.js';

/** The report's use case against a store whose answers the test sets: lost races, batching. */

const origin = {
  actor: { userId: 'github-secret-scanning', authenticatedBy: 'SYSTEM' as const },
  requestId: null,
  sourceIp: null,
  userAgent: null,
};
const minted = mintToken();
const credential: TokenCredential = {
  lookupId: minted.lookupId,
  serviceAccountId: 'sa',
  name: 'ci',
  secretHash: minted.secretHash,
  status: 'ACTIVE',
  maxRps: null,
  expiresAt: null,
  lastUsedAt: null,
};

function store(suspensions: boolean[]) {
  const reads: string[][] = [];
  const events: TokenEvent[] = [];
  const exposures: TokenExposures = {
    async credentials(lookupIds) {
      reads.push(lookupIds);
      return new Map(lookupIds.filter((id) => id === credential.lookupId).map((id) => [id, credential]));
    },
    async suspendExposed(_credential, _at, event) {
      events.push(event);
      return suspensions.shift() ?? false;
    },
  };
  return { exposures, reads, events };
}
const report = (...tokens: string[]) =>
  tokens.map((token) => ({ token, type: 't', url: 'https://github.com/o/r', source: 'commit' }));
const deps = (exposures: TokenExposures) => ({ exposures, clock: () => new Date('2027-01-01T00:00:00Z'), ids });

describe('handling a report', () => {
  it('reads every well-formed string’s credential in one batch, each lookup id once', async () => {
    const { exposures, reads } = store([true]);
    const others = Array.from({ length: 250 }, () => mintToken().token);
    const result = await handleReports(
      deps(exposures),
      report(minted.token, ...others, minted.token, 'not-ours'),
      origin,
    );
    expect(reads).toHaveLength(1);
    expect(new Set(reads[0]).size).toBe(reads[0]!.length);
    expect(reads[0]).toHaveLength(251);
    expect(result).toMatchObject({ exposed: 1, suspended: 1 });
    expect(result.feedback.map((entry) => entry.label).filter((label) => label === 'true_positive')).toHaveLength(2);
  });

  it('reads the credential again after losing a race, and suspends then', async () => {
    const { exposures, reads, events } = store([false, true]);
    const result = await handleReports(deps(exposures), report(minted.token), origin);
    expect(result.feedback[0]!.label).toBe('true_positive');
    expect(reads).toStrictEqual([[minted.lookupId], [minted.lookupId]]);
    expect(events).toHaveLength(2);
  });

  it('answers 409 when the token keeps changing, so that GitHub sends the report again', async () => {
    const { exposures } = store([false, false, false]);
    await expect(handleReports(deps(exposures), report(minted.token), origin)).rejects.toThrow(ConcurrentUpdateError);
  });
});
