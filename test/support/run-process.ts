/** `kubeposture run` as a child process, as a user starts it from the repository's top folder. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { eventually } from './cluster.ts';

const ROOT = join(import.meta.dirname, '..', '..');

export interface RunProcess {
  readonly exited: Promise<number | null>;
  /** What it printed so far, stdout and stderr together. */
  readonly output: () => string;
  kill(signal: NodeJS.Signals): void;
}

/** Starts `node [nodeArgs] src/cli/main.ts run ARGS` in the repository's top folder, with `env` over the test's own. */
export function startRun(
  args: readonly string[],
  opts: { readonly nodeArgs?: readonly string[]; readonly env?: NodeJS.ProcessEnv } = {},
): RunProcess {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), join('src', 'cli', 'main.ts'), 'run', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  for (const stream of [child.stdout, child.stderr])
    stream.on('data', (c: Buffer) => {
      out += c.toString();
    });
  return {
    exited: new Promise((resolve) => {
      child.on('exit', (code) => {
        resolve(code);
      });
    }),
    output: () => out,
    kill: (signal) => {
      child.kill(signal);
    },
  };
}

/** Its "Starting kubeposture" log line once written; fails with all it printed if it exits first. */
export async function startingLine(child: RunProcess, timeoutMs = 20_000): Promise<Record<string, unknown>> {
  let code: number | null | 'running' = 'running';
  void child.exited.then((c) => {
    code = c;
  });
  return eventually(() => {
    const line = child
      .output()
      .split('\n')
      .find((l) => l.includes('"Starting kubeposture"'));
    if (line !== undefined) return Promise.resolve(JSON.parse(line) as Record<string, unknown>);
    if (code !== 'running') throw new Error(`kubeposture run exited ${String(code)} before starting:\n${child.output()}`);
    throw new Error('not started yet');
  }, timeoutMs);
}
