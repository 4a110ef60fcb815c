/** A command-line tool the tests run (kubectl, helm), asynchronously: an in-process operator must keep running meanwhile. */
import { execFile } from 'node:child_process';

/** What one run did. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Command {
  /** Resolves with the exit code and output, whatever the exit code; rejects only if it did not run. */
  run(...args: string[]): Promise<CommandResult>;
  /** Resolves with stdout; rejects with stderr if it exits non-zero. */
  ok(...args: string[]): Promise<string>;
}

/** `bin` with `prefix` before every call's arguments, in `env` (default: this process's). */
export function command(bin: string, prefix: readonly string[] = [], env?: NodeJS.ProcessEnv): Command {
  const name = bin.split('/').pop() ?? bin;
  const run = (...args: string[]): Promise<CommandResult> =>
    new Promise((resolve, reject) => {
      execFile(
        bin,
        [...prefix, ...args],
        { encoding: 'utf8', maxBuffer: 64 * 2 ** 20, ...(env === undefined ? {} : { env }) },
        (err, stdout, stderr) => {
          if (err !== null && typeof err.code !== 'number') {
            reject(new Error(`${name} did not run: ${err.message}`));
            return;
          }
          resolve({ code: err === null ? 0 : Number(err.code), stdout, stderr });
        },
      );
    });
  return {
    run,
    async ok(...args) {
      const r = await run(...args);
      if (r.code !== 0) throw new Error(`${name} ${args.join(' ')} exited ${String(r.code)}: ${r.stderr.trim()}`);
      return r.stdout;
    },
  };
}
