import { policyDeps } from '../federation/deps.js';
import { deletePolicy, type PolicyDeps } from '../federation/policies.js';
import type { DirectoryStore, DirectoryWriteResult } from './ports.js';
import type { PolicyParts } from '../federation/deps.js';
import { IMPORT_ORIGIN } from '../kernel/events.js';
import { type DeleteTokenDeps, deleteToken } from '../tokens/delete-token.js';
import { checkDirectory, type Directory, mergeDirectories } from './directory.js';

/** What the import is built from. */
export type ImportParts = DeleteTokenDeps & PolicyParts & { directory: DirectoryStore };

export interface ImportResult extends DirectoryWriteResult {
  /** Tokens deleted because their account left the directory or is no longer a service account. */
  tokensDeleted: number;
  /** The accounts whose tokens those were. */
  accountsRetired: string[];
  /** Federation policies deleted with them, so that an id re-added later trusts no CI job. */
  policiesDeleted: number;
}

export interface ImportDeps {
  directory: DirectoryStore;
  /** The token use case's ports: deleting a token also deletes its rate-limit key. */
  tokens: DeleteTokenDeps;
  /** The policy use cases' ports: deleting a policy also deletes its shared key. */
  policies: PolicyDeps;
}

/** The import's ports, from a parts (wired with API Gateway's keys in AWS). */
export function importDeps(parts: ImportParts): ImportDeps {
  return { directory: parts.directory, tokens: parts, policies: policyDeps(parts) };
}

/**
 * Imports a directory file (already parsed). Upsert by default: entries in the file
 * replace stored entries with the same id, the others stay; with `replace`, what the
 * file does not hold is removed. References are checked against the file plus what is
 * stored (an upsert may point at stored entries) before anything is written. Who may
 * manage tokens where is recomputed for the whole resulting directory, so a grant never
 * outlives the role or group behind it.
 *
 * A token never outlives its account: an account that leaves the directory, or stops
 * being a service account, is first retired (no token can be created for it any more),
 * then its tokens and their keys are deleted, and only then is its profile removed or
 * changed. Its federation policies go the same way, so that an account re-added later
 * starts without tokens and trusts no CI job. Re-running an import that failed half-way
 * finishes the job.
 */
export async function importDirectory(
  deps: ImportDeps,
  file: Directory,
  options: { replace: boolean },
): Promise<ImportResult> {
  const { directory: current, tokenHolders, retiring, write } = await deps.directory.snapshot();
  checkDirectory(
    file,
    options.replace ? {} : { domains: current.domains.map((d) => d.id), users: current.users.map((u) => u.id) },
  );
  const target = options.replace ? file : mergeDirectories(current, file);

  const serviceAccounts = new Set(
    target.users.filter((user) => user.type === 'SERVICE_ACCOUNT').map((user) => user.id),
  );
  const wasServiceAccount = new Set(
    current.users.filter((user) => user.type === 'SERVICE_ACCOUNT').map((user) => user.id),
  );
  // Accounts that stop being service accounts, any account still holding tokens without
  // being one (left by an older version), and retirements a failed run left unfinished.
  const leaving = new Set([
    ...[...wasServiceAccount].filter((id) => !serviceAccounts.has(id)),
    ...tokenHolders.filter((id) => !serviceAccounts.has(id)),
    ...retiring,
  ]);
  let tokensDeleted = 0;
  let policiesDeleted = 0;
  const accountsRetired: string[] = [];
  for (const accountId of [...leaving].sort()) {
    await deps.directory.retire(accountId);
    const deleted = await deleteAllTokens(deps.tokens, accountId);
    const policies = await deleteAllPolicies(deps.policies, accountId);
    tokensDeleted += deleted;
    policiesDeleted += policies;
    if (deleted + policies > 0) accountsRetired.push(accountId);
  }
  return { ...(await write(target)), tokensDeleted, accountsRetired, policiesDeleted };
}

/** Deletes every token of an account, a page at a time, each with its key. */
async function deleteAllTokens(deps: DeleteTokenDeps, accountId: string): Promise<number> {
  let deleted = 0;
  for (;;) {
    const { tokens } = await deps.tokens.list(accountId, 100);
    if (tokens.length === 0) return deleted;
    for (const token of tokens) {
      try {
        await deleteToken(deps, accountId, token.name, IMPORT_ORIGIN);
        deleted += 1;
      } catch (error) {
        // Gone meanwhile (a concurrent delete): counted by whoever deleted it.
        if ((error as { code?: string }).code !== 'TOKEN_NOT_FOUND') throw error;
      }
    }
  }
}

/** Deletes every federation policy of an account (at most the per-account limit), each with its key. */
async function deleteAllPolicies(deps: PolicyDeps, accountId: string): Promise<number> {
  let deleted = 0;
  for (const policy of await deps.policies.list(accountId)) {
    try {
      await deletePolicy(deps, accountId, policy.policyId, IMPORT_ORIGIN);
      deleted += 1;
    } catch (error) {
      // Gone meanwhile (a concurrent delete), or never finished being created: a pending
      // policy has no key yet and is not returned by the use case; remove its item directly.
      if ((error as { code?: string }).code !== 'POLICY_NOT_FOUND') throw error;
      if (policy.pendingSince !== undefined) await deps.policies.delete(policy).catch(() => undefined);
    }
  }
  return deleted;
}
