import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from '../../infra/local/dynamodb-local.js';
import { PROJECT_ROOT } from '../../infra/local/paths.js';

export interface Started {
  base: string;
  output: () => string;
  stop: () => Promise<void>;
}

/**
 * Runs `npm start -- --port N [args]` as a newcomer would, until /health answers and it
 * has announced itself. `env` is added to this process's environment.
 */
export async function npmStart(args: string[], env: NodeJS.ProcessEnv): Promise<Started> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let output = '';
  const child: ChildProcess = spawn('npm', ['start', '--', '--port', String(port), ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    detached: true,
  });
  child.stdout?.on('data', (chunk) => (output += String(chunk)));
  child.stderr?.on('data', (chunk) => (output += String(chunk)));
  const stop = async () => {
    if (child.pid && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid, 'SIGTERM');
      await exited;
    }
  };
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      if ((await fetch(`${base}/health`)).status === 200 && output.includes('Ctrl-C stops'))
        return { base, output: () => output, stop };
    } catch {
      // not up yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`npm start did not come up:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
