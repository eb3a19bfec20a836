import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, sign } from 'node:crypto';
import { GitHubSigningKeys, KeysUnavailableError } from '../../shared/scanning/github-keys.js';
import { signatureValid } from '../../shared/scanning/signature.js';

const pem = (key: ReturnType<typeof generateKeyPairSync>['publicKey']) =>
  String(key.export({ type: 'spki', format: 'pem' }));
const first = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const second = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

/** A stand-in for GitHub's key list whose answers and clock the test sets. */
function published() {
  const state = {
    keys: [{ key_identifier: 'one', key: pem(first.publicKey), is_current: true }] as unknown[],
    fail: false,
    fetches: 0,
    now: 0,
  };
  const fetch = (async () => {
    state.fetches += 1;
    if (state.fail) throw new Error('connect ECONNREFUSED');
    return new Response(JSON.stringify({ public_keys: state.keys }), { status: 200 });
  }) as typeof globalThis.fetch;
  const keys = new GitHubSigningKeys({
    url: 'https://keys.invalid/',
    fetch,
    now: () => state.now,
    cacheSeconds: 1800,
    cooldownSeconds: 60,
  });
  return { state, keys };
}

describe('GitHub signing keys', () => {
  it('are fetched once and kept for the cache period', async () => {
    const { state, keys } = published();
    expect(await keys.key('one')).toBeDefined();
    state.now += 1_799_000;
    expect(await keys.key('one')).toBeDefined();
    expect(state.fetches).toBe(1);
    state.now += 1_000;
    await keys.key('one');
    expect(state.fetches).toBe(2);
  });

  it('are fetched again for an unknown key id (a rotation at GitHub), at most once a minute', async () => {
    const { state, keys } = published();
    await keys.key('one');
    state.keys.push({ key_identifier: 'two', key: pem(second.publicKey), is_current: true });
    state.now += 59_000;
    expect(await keys.key('two')).toBeUndefined();
    state.now += 1_000;
    expect(await keys.key('two')).toBeDefined();
    expect(await keys.key('made-up')).toBeUndefined();
    expect(await keys.key('made-up-too')).toBeUndefined();
    expect(state.fetches).toBe(2);
  });

  it('share one fetch between concurrent requests, and skip entries they cannot read', async () => {
    const { state, keys } = published();
    state.keys.push({ key_identifier: 'broken', key: 'not a key' }, { key_identifier: 7 });
    const found = await Promise.all([keys.key('one'), keys.key('one'), keys.key('broken')]);
    expect(found.map(Boolean)).toStrictEqual([true, true, false]);
    expect(state.fetches).toBe(1);
  });

  it('keep verifying with keys read earlier when GitHub cannot be reached, and say so when none were', async () => {
    const { state, keys } = published();
    state.fail = true;
    await expect(keys.key('one')).rejects.toThrow(KeysUnavailableError);
    // Within the cooldown, not asked again, and still unavailable.
    await expect(keys.key('one')).rejects.toThrow(KeysUnavailableError);
    expect(state.fetches).toBe(1);
    state.fail = false;
    state.now += 60_000;
    expect(await keys.key('one')).toBeDefined();
    state.fail = true;
    state.now += 1_800_000;
    expect(await keys.key('one')).toBeDefined();
  });

  it('refuse a list answered with an error status', async () => {
    const keys = new GitHubSigningKeys({
      url: 'https://keys.invalid/',
      fetch: (async () => new Response('rate limited', { status: 403 })) as typeof fetch,
    });
    const error = await keys.key('one').catch((thrown: Error) => thrown);
    expect(error).toBeInstanceOf(KeysUnavailableError);
    expect(String((error as Error).cause)).toMatch(/HTTP 403/);
  });
});

describe('signatures', () => {
  const body = Buffer.from('[{"token":"x","type":"t","url":"","source":"content"}]');
  const signature = sign('sha256', body, { key: first.privateKey, dsaEncoding: 'der' }).toString('base64');

  it('hold for the exact bytes signed, with the key that signed them', () => {
    expect(signatureValid(body, signature, first.publicKey)).toBe(true);
    expect(signatureValid(Buffer.concat([body, Buffer.from('\n')]), signature, first.publicKey)).toBe(false);
    expect(signatureValid(body, signature, second.publicKey)).toBe(false);
  });

  it('are refused when malformed, or made with another kind of key', () => {
    expect(signatureValid(body, 'not base64!', first.publicKey)).toBe(false);
    expect(signatureValid(body, Buffer.from('junk').toString('base64'), first.publicKey)).toBe(false);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    expect(
      signatureValid(
        body,
        sign('sha256', body, { key: p384.privateKey, dsaEncoding: 'der' }).toString('base64'),
        p384.publicKey,
      ),
    ).toBe(false);
    const ed = generateKeyPairSync('ed25519');
    expect(signatureValid(body, signature, ed.publicKey)).toBe(false);
  });
});
