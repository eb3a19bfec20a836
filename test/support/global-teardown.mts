import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Stops the browser server the console files shared, if one of them started it (test/console/support.ts). */
async function stopSharedChromium(stateDir: string): Promise<void> {
  const folder = join(stateDir, 'chromium');
  const address = join(folder, 'server.json');
  if (!existsSync(address)) return;
  const { pid } = JSON.parse(readFileSync(address, 'utf8')) as { pid: number };
  // Still the browser server (its command line names the run's folder), not a process that took its pid since.
  const alive = () => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(folder);
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  process.kill(pid, 'SIGTERM');
  for (const deadline = Date.now() + 10_000; alive() && Date.now() < deadline; )
    await new Promise((resolveWait) => setTimeout(resolveWait, 50));
  if (alive()) process.kill(pid, 'SIGKILL');
}

/** Stops the DynamoDB Local that global-setup.mts started, and removes the run's state folder. */
export default async function globalTeardown(): Promise<void> {
  if (process.env.LOCAL_STATE_DIR) await stopSharedChromium(process.env.LOCAL_STATE_DIR);
  await (globalThis as { __dynamodbLocal__?: { stop(): Promise<void> } }).__dynamodbLocal__?.stop();
  if (process.env.LOCAL_STATE_DIR) rmSync(process.env.LOCAL_STATE_DIR, { recursive: true, force: true });
}
