import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from '../../infra/local/dynamodb-local.js';
import { PROJECT_ROOT } from '../../infra/local/paths.js';

/** This process's environment with `env`'s variables in place of its own; an `undefined` one is removed. */
function environment(env: NodeJS.ProcessEnv): Record<string, string> {
  const merged = Object.entries({ ...process.env, ...env });
  return Object.fromEntries(merged.filter((entry): entry is [string, string] => entry[1] !== undefined));
}

export interface Started {
  base: string;
  output: () => string;
  stop: () => Promise<void>;
}

/**
 * Runs `npm start -- --port N [args]` as a newcomer would, until /health answers and it
 * has announced itself, with `env` in its environment (see `environment`).
 */
export async function npmStart(args: string[], env: NodeJS.ProcessEnv): Promise<Started> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let output = '';
  const child: ChildProcess = spawn('npm', ['start', '--', '--port', String(port), ...args], {
    cwd: PROJECT_ROOT,
    env: environment(env),
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

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs an npm command to its end without blocking the event loop: a blocked loop would
 * leave this process's kept-alive connections to a server unread past its keep-alive
 * timeout, and the next fetch would find its socket closed.
 */
export function npmRun(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolveRun, reject) => {
    // Its own process group, so that a command that does not end (a server that starts when
    // it should have refused) is stopped whole, grandchildren included, and the test fails.
    const child = spawn('npm', args, { cwd: PROJECT_ROOT, env: environment(env), detached: true });
    const timer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), timeoutMs);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolveRun({ status, stdout, stderr });
    });
  });
}
