import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { commandLine } from '../../infra/local/command-line.js';

describe('the options of a command', () => {
  const usage = 'Usage: npm run thing -- [--now TIME] [--token A/N]...';
  const read = (args: string[]) =>
    commandLine(usage, { now: { type: 'string' }, token: { type: 'string', multiple: true, default: [] } }, args);
  let printed: string[];
  let complained: string[];
  beforeEach(() => {
    printed = [];
    complained = [];
    jest.spyOn(console, 'log').mockImplementation((text: string) => {
      printed.push(text);
    });
    jest.spyOn(console, 'error').mockImplementation((text: string) => {
      complained.push(text);
    });
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('reads their values, with their defaults', () => {
    expect(read(['--token', 'sa-etl/ci', '--token', 'sa-etl/nightly'])).toEqual({
      token: ['sa-etl/ci', 'sa-etl/nightly'],
      help: false,
    });
    expect(printed).toEqual([]);
  });

  it('prints the usage and exits 0 when asked for help, with --help or -h', () => {
    expect(read(['--help'])).toBe(0);
    expect(read(['-h', '--now', 'x'])).toBe(0);
    expect(printed).toEqual([usage, usage]);
    expect(complained).toEqual([]);
  });

  it('says what is wrong, with the usage, and exits 2 on an option it does not know', () => {
    expect(read(['--bogus'])).toBe(2);
    expect(complained).toEqual([expect.stringMatching(/^Unknown option '--bogus'.*\nUsage: npm run thing/s)]);
    expect(printed).toEqual([]);
  });
});
