import { describe, expect, it } from '@jest/globals';
import { replayer, type Send } from '../../bench/replay.js';

/** `npm run bench -- --replay`: reads answered from memory, never staler than the last write. */
class GetCommand {
  constructor(readonly input: object) {}
}
class TransactWriteCommand {
  constructor(readonly input: object) {}
}

function fakeTable() {
  const sent: string[] = [];
  let lastUsedAt = 'then';
  const send: Send = async (command) => {
    sent.push(command.constructor.name);
    if (command instanceof TransactWriteCommand) lastUsedAt = 'now';
    return { Item: { lastUsedAt } };
  };
  return { sent, replay: replayer(send) };
}

describe('the benchmark replay', () => {
  it('sends each distinct read once, and gives each caller a copy of its answer', async () => {
    const { sent, replay } = fakeTable();
    const read = () => replay(undefined, new GetCommand({ Key: { pk: 'a' } }), []);
    const first = (await read()) as { Item: { lastUsedAt: string } };
    first.Item.lastUsedAt = 'changed by a caller';
    expect(await read()).toEqual({ Item: { lastUsedAt: 'then' } });
    await replay(undefined, new GetCommand({ Key: { pk: 'b' } }), []);
    expect(sent).toEqual(['GetCommand', 'GetCommand']);
  });

  it('sends every write, and every read again after one: a replayed answer is never stale', async () => {
    const { sent, replay } = fakeTable();
    const read = () => replay(undefined, new GetCommand({ Key: { pk: 'a' } }), []);
    await read();
    await replay(undefined, new TransactWriteCommand({ lastUsedAt: 'now' }), []);
    expect(await read()).toEqual({ Item: { lastUsedAt: 'now' } });
    expect(await read()).toEqual({ Item: { lastUsedAt: 'now' } });
    expect(sent).toEqual(['GetCommand', 'TransactWriteCommand', 'GetCommand']);
  });
});
