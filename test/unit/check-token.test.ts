import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { PROJECT_ROOT } from '../../infra/local/paths.js';
import { mintToken, TOKEN_LENGTH, TOKEN_PREFIX, tokenShape } from '../../shared/kernel/token-format.js';

/** The offline check of a string's shape (what a secret scanner's pattern describes), and its command. */

describe('token shape', () => {
  it('accepts every minted token, naming its listed prefix', () => {
    for (let i = 0; i < 50; i++) {
      const minted = mintToken();
      expect(tokenShape(minted.token)).toStrictEqual({ wellFormed: true, lookupId: minted.lookupId });
    }
  });

  it('names the first rule a string breaks', () => {
    const token = mintToken().token;
    expect(tokenShape(`ghp_${token.slice(4)}`)).toMatchObject({
      wellFormed: false,
      problem: `does not start with ${TOKEN_PREFIX}`,
    });
    expect(tokenShape(token.slice(0, -1))).toMatchObject({
      wellFormed: false,
      problem: `is ${TOKEN_LENGTH - 1} characters long, not ${TOKEN_LENGTH}`,
    });
    expect(tokenShape(`${token.slice(0, 20)}-${token.slice(21)}`)).toMatchObject({
      wellFormed: false,
      problem: expect.stringMatching(/characters other than/),
    });
    expect(tokenShape(`${token.slice(0, 30)}${token[30] === 'a' ? 'b' : 'a'}${token.slice(31)}`)).toMatchObject({
      wellFormed: false,
      problem: expect.stringMatching(/checksum/),
    });
  });

  it('refuses any single-character change to a token', () => {
    const token = mintToken().token;
    fc.assert(
      fc.property(
        fc.nat(TOKEN_LENGTH - 1),
        fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-'),
        (at, char) => {
          fc.pre(token[at] !== char);
          expect(tokenShape(`${token.slice(0, at)}${char}${token.slice(at + 1)}`).wellFormed).toBe(false);
        },
      ),
    );
  });
});

describe('npm run -s check-token', () => {
  const run = (args: string[], input?: string) =>
    spawnSync('npm', ['run', '-s', 'check-token', '--', ...args], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      input,
      timeout: 60_000,
    });

  it('says a well-formed token is one, from an argument or standard input, without a database', () => {
    const minted = mintToken();
    const fromArgument = run([minted.token], undefined);
    expect(fromArgument.status).toBe(0);
    expect(fromArgument.stdout).toContain(`Well-formed`);
    expect(fromArgument.stdout).toContain(minted.prefix);
    // Never the secret back.
    expect(fromArgument.stdout).not.toContain(minted.token);
    const fromInput = run(['-'], `${minted.token}\n`);
    expect(fromInput.status).toBe(0);
  });

  it('exits non-zero with the reason for anything else', () => {
    const bad = run(['iomsat_tooshort']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/Not a well-formed token: it is 15 characters long, not 72/);
    expect(run([]).status).toBe(2);
  });
});
