import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { defaultProvider } from '../../shared/runtime/lambda-credentials.js';

/**
 * What a bundled function's AWS clients take for the SDK's default credential chain: the
 * environment's credentials, read as the chain reads them, and the chain itself (from the
 * file beside the bundle) when the environment has none or names a profile.
 */
const NAMES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  'AWS_CREDENTIAL_SCOPE',
  'AWS_ACCOUNT_ID',
  'AWS_PROFILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_CONFIG_FILE',
  'AWS_EC2_METADATA_DISABLED',
];
let saved: Record<string, string | undefined>;
let folder: string;

beforeEach(() => {
  saved = Object.fromEntries(NAMES.map((name) => [name, process.env[name]]));
  for (const name of NAMES) delete process.env[name];
  folder = mkdtempSync(join(tmpdir(), 'credentials-'));
  // A profile file of its own, so that no file of the machine's is read.
  writeFileSync(join(folder, 'credentials'), '[team]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = p\n');
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(folder, 'credentials');
  process.env.AWS_CONFIG_FILE = join(folder, 'config');
  // Nor the instance metadata service, which the chain asks last.
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
});
afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  rmSync(folder, { recursive: true, force: true });
});

describe('the credentials of a bundled function', () => {
  it('are the environment’s, as Lambda sets them, with what else the chain reads there', async () => {
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'AKIDLAMBDA',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'session',
      AWS_CREDENTIAL_EXPIRATION: '2030-01-01T00:00:00Z',
      AWS_ACCOUNT_ID: '000000000000',
    });
    expect(await defaultProvider()()).toStrictEqual({
      accessKeyId: 'AKIDLAMBDA',
      secretAccessKey: 'secret',
      sessionToken: 'session',
      expiration: new Date('2030-01-01T00:00:00Z'),
      accountId: '000000000000',
    });
  });

  it('are kept once read, as the SDK’s chain keeps them, and read again on a forced refresh or near their expiry', async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDFIRST', AWS_SECRET_ACCESS_KEY: 's' });
    const provider = defaultProvider();
    expect((await provider()).accessKeyId).toBe('AKIDFIRST');
    process.env.AWS_ACCESS_KEY_ID = 'AKIDSECOND';
    expect((await provider()).accessKeyId).toBe('AKIDFIRST');
    expect((await provider({ forceRefresh: true })).accessKeyId).toBe('AKIDSECOND');
    // Within five minutes of their expiry, the next call reads them again.
    process.env.AWS_CREDENTIAL_EXPIRATION = new Date(Date.now() + 60_000).toISOString();
    expect((await provider({ forceRefresh: true })).accessKeyId).toBe('AKIDSECOND');
    process.env.AWS_ACCESS_KEY_ID = 'AKIDTHIRD';
    expect((await provider()).accessKeyId).toBe('AKIDTHIRD');
  });

  it('come from the whole chain without them: a profile, whichever way it is named', async () => {
    process.env.AWS_PROFILE = 'team';
    expect(await defaultProvider()()).toMatchObject({ accessKeyId: 'AKIDPROFILE', secretAccessKey: 'p' });
    delete process.env.AWS_PROFILE;
    expect(await defaultProvider({ profile: 'team' })()).toMatchObject({ accessKeyId: 'AKIDPROFILE' });
  });

  it('are the profile’s when one is named beside keys in the environment, as the SDK’s chain decides', async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDLAMBDA', AWS_SECRET_ACCESS_KEY: 's', AWS_PROFILE: 'team' });
    expect((await defaultProvider()()).accessKeyId).toBe('AKIDPROFILE');
  });

  it('fail as the chain fails when there are none anywhere, and are found by a later call once there are', async () => {
    process.env.AWS_PROFILE = 'nobody';
    const provider = defaultProvider();
    await expect(provider()).rejects.toThrow(/Could not load credentials/);
    delete process.env.AWS_PROFILE;
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDLAMBDA', AWS_SECRET_ACCESS_KEY: 's' });
    expect((await provider()).accessKeyId).toBe('AKIDLAMBDA');
  });
});
