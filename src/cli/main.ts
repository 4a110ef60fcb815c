#!/usr/bin/env node
/**
 * The `kubeposture` command: parses arguments, does the file I/O, and sets the
 * process's exit code from the command's result.
 */
import { readFileSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { API_VERSION } from '../api/constants.ts';
import { namespaceNameProblem } from '../api/field-reader.ts';
import { parseDuration, parseRunConfig, RUN_FLAGS } from '../config.ts';
import { parseLabels, render, type CommandResult } from './render.ts';
import { run } from './run.ts';
import { MAX_BYTES, tooLarge } from './yaml.ts';
import { errorMessage } from '../lib/errors.ts';

const USAGE = `usage: kubeposture <command> [flags]

commands:
  run       run the operator against a cluster until SIGTERM or SIGINT (SIGHUP: resync now)${RUN_FLAGS}
  render    print the objects a namespace would hold under the SecurityBaseline(s) in a file
            -f, --file FILE         SecurityBaseline manifest (YAML; several documents allowed; - for stdin)
            -n, --namespace NAME    the namespace
            -l, --label KEY=VALUE   a label of the namespace (repeatable)
            --exceptions FILE       SecurityBaselineExceptions (they may also be in --file)
            --exception-horizon DUR how far ahead an exception may expire (default 90d, as the operator's)
  version   print the API version this build serves
`;

function usageError(message: string): CommandResult {
  return { stdout: '', stderr: `kubeposture: ${message}\n${USAGE}`, code: 2 };
}

function runRender(args: readonly string[]): CommandResult {
  const { values } = parseArgs({
    args: [...args],
    options: {
      file: { type: 'string', short: 'f' },
      namespace: { type: 'string', short: 'n' },
      label: { type: 'string', short: 'l', multiple: true },
      exceptions: { type: 'string' },
      'exception-horizon': { type: 'string', default: '90d' },
    },
    strict: true,
  });
  if (values.file === undefined) return usageError('render needs --file');
  if (values.namespace === undefined) return usageError('render needs --namespace');
  const badName = namespaceNameProblem(values.namespace);
  if (badName !== undefined) return usageError(`--namespace: ${badName}`);
  const text = readInput(values.file);
  if (typeof text !== 'string') return text;
  const exceptions = values.exceptions === undefined ? undefined : readInput(values.exceptions);
  if (exceptions !== undefined && typeof exceptions !== 'string') return exceptions;
  let horizonMs: number;
  try {
    horizonMs = parseDuration('exception-horizon', values['exception-horizon']);
  } catch (err: unknown) {
    return usageError(errorMessage(err));
  }
  let labels: Record<string, string>;
  try {
    labels = parseLabels(values.label ?? []);
  } catch (err: unknown) {
    return usageError(errorMessage(err));
  }
  return render({
    source: values.file,
    text,
    namespace: values.namespace,
    labels,
    ...(exceptions === undefined || values.exceptions === undefined ? {} : { exceptions: { source: values.exceptions, text: exceptions } }),
    now: Date.now(),
    horizonMs,
  });
}

/** A file's text (`-`: stdin), or the result that says why not; a file larger than render reads is refused unread. */
function readInput(file: string): string | CommandResult {
  try {
    const size = file === '-' ? 0 : statSync(file).size;
    if (size > MAX_BYTES) return { stdout: '', stderr: `kubeposture render: ${file}: (file): ${tooLarge(size)}\n`, code: 1 };
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err: unknown) {
    return { stdout: '', stderr: `kubeposture render: cannot read ${file}: ${errorMessage(err)}\n`, code: 1 };
  }
}

function main(argv: readonly string[]): CommandResult {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'render':
        return runRender(rest);
      case 'version':
        if (rest.length > 0) return usageError(`version takes no arguments, not ${JSON.stringify(rest.join(' '))}`);
        return { stdout: `${API_VERSION}\n`, stderr: '', code: 0 };
      case '--help':
      case 'help':
        return { stdout: USAGE, stderr: '', code: 0 };
      case undefined:
        return usageError('a command is needed');
      default:
        return usageError(`unknown command ${JSON.stringify(cmd)}`);
    }
  } catch (err: unknown) {
    // parseArgs throws on unknown or malformed flags.
    return usageError(errorMessage(err));
  }
}

/** `run` is long-lived: it resolves when a signal stops it. */
async function runCommand(args: readonly string[]): Promise<CommandResult> {
  let config;
  try {
    config = parseRunConfig(args);
  } catch (err: unknown) {
    return usageError(errorMessage(err));
  }
  const stop = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => {
      resolve('SIGTERM');
    });
    process.once('SIGINT', () => {
      resolve('SIGINT');
    });
  });
  const code = await run(config, stop, (resync) => {
    process.on('SIGHUP', resync);
  });
  return { stdout: '', stderr: '', code };
}

const argv = process.argv.slice(2);
const pending: Promise<CommandResult> = argv[0] === 'run' ? runCommand(argv.slice(1)) : Promise.resolve(main(argv));
pending.then(
  (result) => {
    process.stdout.write(result.stdout);
    process.stderr.write(result.stderr);
    process.exitCode = result.code;
  },
  (err: unknown) => {
    // A message, not a stack trace: what failed is the input (a kubeconfig that cannot be read, say).
    process.stderr.write(`kubeposture: ${errorMessage(err)}\n`);
    process.exitCode = 1;
  },
);
