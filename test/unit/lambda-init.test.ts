import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { readConfig } from '../../shared/kernel/config.js';

/**
 * Each Lambda entry builds its runtime once, at init, from its environment: a missing or
 * malformed setting fails the init with the variable's name, the authorizer included.
 */
const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Module hooks that append each module the process resolves to RESOLVED_MODULES_FILE, a
 * URL a line: what an init loaded. A hook's write ends before the import it resolves goes
 * on, so the file is whole once the entry's import has settled.
 */
const HOOKS = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.RESOLVED_MODULES_FILE, resolved.url + '\\n');
  return resolved;
}`;
const dataUrl = (source: string) => `data:text/javascript,${encodeURIComponent(source)}`;
const RECORD_RESOLVED = dataUrl(`import { register } from 'node:module'; register(${JSON.stringify(dataUrl(HOOKS))});`);

/** Imports an entry in a fresh Node process, as Lambda's init does, with exactly `env`. */
function initEntry(
  entry: string,
  env: Record<string, string>,
  flags: string[] = [],
): { status: number | null; stderr: string } {
  const script = `await import(${JSON.stringify(`./functions/${entry}.ts`)});`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', ...flags, '--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 60_000,
  });
  return { status: run.status, stderr: run.stderr };
}

const LAMBDA = {
  AWS_LAMBDA_FUNCTION_NAME: 'init-test',
  AWS_REGION: 'eu-west-1',
  TABLE_NAME: 'tokens',
  JWKS_URL: 'https://issuer.example/.well-known/jwks.json',
  JWT_ISSUER: 'https://issuer.example',
  JWT_AUDIENCE: 'api',
};

/** What the functions that queue key changes, the key worker and reconcile are given in AWS. */
const AWS_KEYS = {
  REST_API_ID: 'abc123',
  API_STAGE: 'v1',
  KEY_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/000000000000/keys.fifo',
};

describe('Lambda init', () => {
  it('builds the runtime of an entry from a complete environment', () => {
    expect(initEntry('authorizer', LAMBDA)).toMatchObject({ status: 0 });
  });

  it.each(['authorizer', 'list-domain-tokens'])(
    'fails the init of %s, naming the variable, when a setting is missing',
    (entry) => {
      const { TABLE_NAME: _missing, ...rest } = LAMBDA;
      const run = initEntry(entry, rest);
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(/Missing required environment variable TABLE_NAME/);
    },
  );

  // Those clients are built, and their SDKs loaded, by the first call that needs them: the
  // key worker's first batch, reconcile's first run, the first change that queues a key.
  it.each(['key-worker', 'reconcile', 'create-domain-token', 'delete-admin-token', 'create-domain-federation-policy'])(
    'loads neither the API Gateway nor the SQS SDK in the init of %s',
    (entry) => {
      const dir = mkdtempSync(join(tmpdir(), 'init-'));
      const file = join(dir, 'resolved');
      try {
        const run = initEntry(entry, { ...LAMBDA, ...AWS_KEYS, RESOLVED_MODULES_FILE: file }, [
          '--import',
          RECORD_RESOLVED,
        ]);
        expect(run).toMatchObject({ status: 0 });
        const resolved = readFileSync(file, 'utf8').split('\n');
        // The record works: the table's client is loaded at init.
        expect(resolved.some((url) => url.includes('/@aws-sdk/client-dynamodb/'))).toBe(true);
        expect(
          resolved.filter((url) => /client-api-gateway|client-sqs|\/(api-gateway|sqs)\.m[jt]s$/.test(url)),
        ).toStrictEqual([]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('fails the init on a malformed setting, naming it', () => {
    const run = initEntry('authorizer', { ...LAMBDA, TOKEN_LIMIT_PER_ACCOUNT: 'fifty' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/TOKEN_LIMIT_PER_ACCOUNT must be an integer/);
  });

  it('defaults nothing inside Lambda that could point at the wrong place, and everything outside it', () => {
    expect(() => readConfig({ AWS_LAMBDA_FUNCTION_NAME: 'f' })).toThrow(/TABLE_NAME/);
    expect(readConfig({})).toMatchObject({
      tableName: 'service-account-tokens',
      dynamodbEndpoint: undefined,
      metrics: false,
    });
    expect(() => readConfig({ REST_API_ID: 'abc' })).toThrow(
      /Set all of REST_API_ID, API_STAGE or none; missing API_STAGE/,
    );
  });

  it('leaves unused-token suspension off unless SUSPEND_UNUSED_AFTER_DAYS is a positive number of days', () => {
    expect(readConfig({}).lifecycle.suspendUnusedAfterDays).toBeUndefined();
    expect(readConfig({ SUSPEND_UNUSED_AFTER_DAYS: '0' }).lifecycle.suspendUnusedAfterDays).toBeUndefined();
    expect(readConfig({ SUSPEND_UNUSED_AFTER_DAYS: '90' }).lifecycle.suspendUnusedAfterDays).toBe(90);
    expect(() => readConfig({ SUSPEND_UNUSED_AFTER_DAYS: '-1' })).toThrow(
      /SUSPEND_UNUSED_AFTER_DAYS must be an integer from 0 to 3650/,
    );
  });
});
