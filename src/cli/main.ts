#!/usr/bin/env node
/**
 * The `kubeposture` command: parses arguments, does the file I/O, and sets the
 * process's exit code from the command's result.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { API_VERSION } from '../api/constants.ts';
import { namespaceNameProblem } from '../api/field-reader.ts';
import { parseDuration, parseRunConfig, RUN_OPTIONS } from '../config.ts';
import { parseLabels, render, type CommandResult } from './render.ts';
import { asksForHelp, commandUsage, COMMANDS, isCommand, overview, RENDER_OPTIONS, STATUS_OPTIONS, type Command } from './usage.ts';
import { readBuildInfo, versionText } from './version.ts';
import { MAX_BYTES, tooLarge } from './yaml.ts';
import { errorMessage } from '../lib/errors.ts';

/** The folder holding package.json: the checkout (src/cli/..) or the image's /app (dist/cli/..). */
const ROOT = join(import.meta.dirname, '..', '..');

const help = (text: string): CommandResult => ({ stdout: text, stderr: '', code: 0 });

function usageError(message: string, command?: Command): CommandResult {
  return { stdout: '', stderr: `kubeposture: ${message}\n${command === undefined ? overview() : commandUsage(command)}`, code: 2 };
}

function runRender(args: readonly string[]): CommandResult {
  if (asksForHelp(args, RENDER_OPTIONS)) return help(commandUsage('render'));
  const { values } = parseArgs({ args: [...args], options: RENDER_OPTIONS, strict: true });
  if (values.file === undefined) return usageError('render needs --file', 'render');
  if (values.namespace === undefined) return usageError('render needs --namespace', 'render');
  const badName = namespaceNameProblem(values.namespace);
  if (badName !== undefined) return usageError(`--namespace: ${badName}`, 'render');
  const text = readInput(values.file);
  if (typeof text !== 'string') return text;
  const exceptions = values.exceptions === undefined ? undefined : readInput(values.exceptions);
  if (exceptions !== undefined && typeof exceptions !== 'string') return exceptions;
  let horizonMs: number;
  try {
    horizonMs = parseDuration('exception-horizon', values['exception-horizon']);
  } catch (err: unknown) {
    return usageError(errorMessage(err), 'render');
  }
  let labels: Record<string, string>;
  try {
    labels = parseLabels(values.label ?? []);
  } catch (err: unknown) {
    return usageError(errorMessage(err), 'render');
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
        if (asksForHelp(rest, {})) return help(commandUsage('version'));
        if (rest.length > 0) return usageError(`version takes no arguments, not ${JSON.stringify(rest.join(' '))}`, 'version');
        return { stdout: versionText(readBuildInfo(ROOT), API_VERSION), stderr: '', code: 0 };
      case 'help':
        if (rest.length === 0) return help(overview());
        if (rest.length === 1 && isCommand(rest[0])) return help(commandUsage(rest[0]));
        return usageError(`help takes one command (${COMMANDS.join(', ')}), not ${JSON.stringify(rest.join(' '))}`);
      case '--help':
      case '-h':
        return help(overview());
      case undefined:
        return usageError('a command is needed');
      default:
        return usageError(`unknown command ${JSON.stringify(cmd)}`);
    }
  } catch (err: unknown) {
    // parseArgs throws on unknown or malformed flags.
    return usageError(errorMessage(err), isCommand(cmd) ? cmd : undefined);
  }
}

/** `status` reads the cluster: asynchronous, and its modules loaded only for it. */
async function statusCommand(args: readonly string[]): Promise<CommandResult> {
  if (asksForHelp(args, STATUS_OPTIONS)) return help(commandUsage('status'));
  let values;
  try {
    ({ values } = parseArgs({ args: [...args], options: STATUS_OPTIONS, strict: true }));
  } catch (err: unknown) {
    return usageError(errorMessage(err), 'status');
  }
  const { format, isOutput, OUTPUTS } = await import('./status.ts');
  const output = values.output;
  if (!isOutput(output)) return usageError(`-o ${JSON.stringify(output)}: use one of ${OUTPUTS.join(', ')}`, 'status');
  if (values.namespace !== undefined) {
    const badName = namespaceNameProblem(values.namespace);
    if (badName !== undefined) return usageError(`--namespace: ${badName}`, 'status');
  }
  const [{ loadClusterAccess }, { RestClient }, { readStatus, failureMessage }] = await Promise.all([
    import('../kube/access.ts'),
    import('../kube/rest.ts'),
    import('./status-read.ts'),
  ]);
  const access = await loadClusterAccess(values.kubeconfig);
  const rest = new RestClient(access, { userAgent: 'kubeposture-status', maxThrottledRetries: 2 });
  try {
    const answer = await readStatus(rest, {
      namespace: values.namespace,
      operatorNamespace: values['operator-namespace'] === '' ? undefined : values['operator-namespace'],
      now: Date.now(),
      server: access.getCurrentCluster()?.server ?? '(no server)',
    });
    if (!answer.ok) return { stdout: '', stderr: `kubeposture status: ${failureMessage(answer.failure)}\n`, code: 1 };
    return { stdout: format(answer.view, output, { color: process.stdout.isTTY }), stderr: '', code: 0 };
  } finally {
    rest.close();
  }
}

/** `run` is long-lived: it resolves when a signal stops it. */
async function runCommand(args: readonly string[]): Promise<CommandResult> {
  if (asksForHelp(args, RUN_OPTIONS)) return help(commandUsage('run'));
  let config;
  try {
    config = parseRunConfig(args);
  } catch (err: unknown) {
    return usageError(errorMessage(err), 'run');
  }
  const stop = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => {
      resolve('SIGTERM');
    });
    process.once('SIGINT', () => {
      resolve('SIGINT');
    });
  });
  // Loaded here, not at the top: help, version and render start without the operator's modules.
  const { run } = await import('./run.ts');
  const code = await run(config, stop, (resync) => {
    process.on('SIGHUP', resync);
  });
  return { stdout: '', stderr: '', code };
}

const argv = process.argv.slice(2);
const pending: Promise<CommandResult> =
  argv[0] === 'run' ? runCommand(argv.slice(1)) : argv[0] === 'status' ? statusCommand(argv.slice(1)) : Promise.resolve(main(argv));
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
