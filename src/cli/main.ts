#!/usr/bin/env node
/**
 * The `kubeposture` command. The only module that sets the process's exit code
 * from a command's result.
 */
import { VERSION } from '../api/constants.ts';

const USAGE = `usage: kubeposture <command>

commands:
  version   print the API version this build serves
`;

function main(argv: readonly string[]): number {
  const cmd = argv[0];
  switch (cmd) {
    case 'version':
      process.stdout.write(`kubeposture.io/${VERSION}\n`);
      return 0;
    case undefined:
    case '--help':
    case 'help':
      process.stdout.write(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      process.stderr.write(`kubeposture: unknown command ${JSON.stringify(cmd)}\n${USAGE}`);
      return 2;
  }
}

process.exitCode = main(process.argv.slice(2));
