import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { readConfig } from '../../shared/kernel/config.js';

/**
 * Each Lambda entry builds its runtime once, at init, from its environment: a missing or
 * malformed setting fails the init with the variable's name, the authorizer included.
 */
const ROOT = resolve(import.meta.dirname, '../..');

/** Imports an entry in a fresh Node process, as Lambda's init does, with exactly `env`. */
function initEntry(entry: string, env: Record<string, string>): { status: number | null; stderr: string } {
  const script = `await import(${JSON.stringify(`./functions/${entry}.ts`)});`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
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
