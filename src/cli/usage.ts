/**
 * The usage of `kubeposture` and of each of its commands, and whether a command's
 * arguments ask for it (`-h` or `--help` as a flag, not as the value of another).
 */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { RUN_FLAGS } from '../config.ts';

/** The commands `kubeposture` runs. */
export const COMMANDS = ['run', 'render', 'status', 'version'] as const;
export type Command = (typeof COMMANDS)[number];

/** `-h, --help`, as each command's options table holds it. */
export const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const satisfies ParseArgsOptionsConfig;

const HELP_FLAG = '-h, --help               print this usage and exit';

/** `kubeposture render`'s options, as node's parseArgs takes them. */
export const RENDER_OPTIONS = {
  file: { type: 'string', short: 'f' },
  namespace: { type: 'string', short: 'n' },
  label: { type: 'string', short: 'l', multiple: true },
  exceptions: { type: 'string' },
  'exception-horizon': { type: 'string', default: '90d' },
} as const satisfies ParseArgsOptionsConfig;

const RENDER_FLAGS = `-f, --file FILE          SecurityBaseline manifest (YAML; several documents allowed; - for stdin)
-n, --namespace NAME     the namespace
-l, --label KEY=VALUE    a label of the namespace (repeatable)
--exceptions FILE        SecurityBaselineExceptions (they may also be in --file)
--exception-horizon DUR  how far ahead an exception may expire (default 90d, as the operator's)`;

/** `kubeposture status`'s options, as node's parseArgs takes them. */
export const STATUS_OPTIONS = {
  namespace: { type: 'string', short: 'n' },
  output: { type: 'string', short: 'o', default: 'table' },
  kubeconfig: { type: 'string' },
  'operator-namespace': { type: 'string', default: 'kubeposture-system' },
} as const satisfies ParseArgsOptionsConfig;

const STATUS_FLAGS = `-n, --namespace NAME     what governs this namespace and how it stands (default: every SecurityBaseline)
-o, --output FORMAT      table (default), json or yaml
--kubeconfig FILE        kubeconfig (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)
--operator-namespace NAME
                         kubeposture's own namespace, which no baseline governs (default kubeposture-system)`;

const HELP: Readonly<Record<Command, { readonly summary: string; readonly flags: string }>> = {
  run: { summary: 'run the operator against a cluster until SIGTERM or SIGINT (SIGHUP: resync now)', flags: RUN_FLAGS },
  render: { summary: 'print the objects a namespace would hold under the SecurityBaseline(s) in a file', flags: RENDER_FLAGS },
  status: {
    summary: 'print each SecurityBaseline with its mode and namespaces, or (-n) what governs one namespace and how it stands; reads only',
    flags: STATUS_FLAGS,
  },
  version: { summary: "print this build's version (and git commit, from a checkout) and the API version it serves", flags: '' },
};

const indent = (text: string, spaces: number): string =>
  text
    .split('\n')
    .map((l) => `${' '.repeat(spaces)}${l}`)
    .join('\n');

/** Whether `name` is one of the commands. */
export function isCommand(name: string | undefined): name is Command {
  return (COMMANDS as readonly (string | undefined)[]).includes(name);
}

/** `kubeposture`'s usage: every command with its flags. */
export function overview(): string {
  const commands = COMMANDS.map((c) => {
    const { summary, flags } = HELP[c];
    return `  ${c.padEnd(10)}${summary}${flags === '' ? '' : `\n${indent(flags, 12)}`}`;
  });
  return `usage: kubeposture <command> [flags]\n\ncommands:\n${commands.join('\n')}\n\n'kubeposture <command> --help' prints one command's usage.\n`;
}

/** One command's usage. */
export function commandUsage(command: Command): string {
  const { summary, flags } = HELP[command];
  return `usage: kubeposture ${command}${flags === '' ? '' : ' [flags]'}\n\n${summary}\n\nflags:\n${indent(flags === '' ? HELP_FLAG : `${flags}\n${HELP_FLAG}`, 2)}\n`;
}

/**
 * True when `args` hold `-h` or `--help` as a flag of their own, whatever else they hold (an
 * unknown flag included); not when it is the value of a flag of `options` (`-n -h`) or follows `--`.
 */
export function asksForHelp(args: readonly string[], options: ParseArgsOptionsConfig): boolean {
  const { tokens } = parseArgs({
    args: [...args],
    options: { ...options, ...HELP_OPTION },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  return tokens.some((t) => t.kind === 'option' && t.name === 'help');
}
