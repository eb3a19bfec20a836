import { jest } from '@jest/globals';

/**
 * The JSON lines Powertools writes while `run` runs (through a console of its own, on
 * stdout), parsed; nothing reaches the terminal meanwhile.
 */
export async function jsonLogLines(run: () => unknown): Promise<Record<string, unknown>[]> {
  const chunks: string[] = [];
  const spy = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk: unknown) => chunks.push(String(chunk)) > 0);
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return chunks
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
