import { describe, expect, it, jest } from '@jest/globals';
import { builtOnFirstCall } from '../../shared/ratelimit/first-call.js';

/** A client of the SDK's shape: what it was sent, by which instance. */
class Client {
  static built = 0;
  readonly id = ++Client.built;
  async send(command: string): Promise<string> {
    return `${this.id}:${command}`;
  }
}

describe('a client built on its first call', () => {
  it('is not built until a call needs it, then once for every call after', async () => {
    const build = jest.fn(() => new Client());
    const client = builtOnFirstCall(build);
    expect(build).not.toHaveBeenCalled();
    const answers = await Promise.all([client.send('a'), client.send('b')]);
    expect(await client.send('c')).toBe(`${answers[0]!.split(':')[0]}:c`);
    expect(answers).toStrictEqual([expect.stringMatching(/:a$/), expect.stringMatching(/:b$/)]);
    expect(new Set(answers.map((answer) => answer.split(':')[0])).size).toBe(1);
    expect(build).toHaveBeenCalledTimes(1);
  });

  it('tries a build that failed again on the next call, instead of failing every call after', async () => {
    const build = jest
      .fn<() => Promise<Client>>()
      .mockRejectedValueOnce(new Error('the SDK did not load'))
      .mockImplementation(async () => new Client());
    const client = builtOnFirstCall(build);
    await expect(client.send('a')).rejects.toThrow('the SDK did not load');
    expect(await client.send('b')).toMatch(/:b$/);
    expect(build).toHaveBeenCalledTimes(2);
  });
});
