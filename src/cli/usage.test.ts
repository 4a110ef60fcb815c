import type { ParseArgsOptionsConfig } from 'node:util';
import { RUN_OPTIONS } from '../config.ts';
import { asksForHelp, commandUsage, COMMANDS, overview, RENDER_OPTIONS, STATUS_OPTIONS } from './usage.ts';

describe('asksForHelp', () => {
  it.each<[string[], boolean]>([
    [['--help'], true],
    [['-h'], true],
    [['-f', 'b.yaml', '-n', 'team-a', '-h'], true],
    [['--bogus', '--help'], true],
    [['-hf', 'b.yaml'], true],
    [['-f', 'b.yaml', '-n', 'team-a'], false],
    [[], false],
    // The value of a flag that takes one, or an argument after --: not a request for help.
    [['-n', '-h'], false],
    [['--namespace', '--help'], false],
    [['-f', '--help'], false],
    [['--', '-h'], false],
    [['--file=--help'], false],
  ])('render %j: %s', (args, expected) => {
    expect(asksForHelp(args, RENDER_OPTIONS)).toBe(expected);
  });

  it.each<[string[], boolean]>([
    [['--kubeconfig', 'k', '--help'], true],
    [['--workers', '-h'], false],
    [['--leader-elect', 'true', '-h'], true],
  ])('run %j: %s', (args, expected) => {
    expect(asksForHelp(args, RUN_OPTIONS)).toBe(expected);
  });
});

describe('usage', () => {
  it.each<[string, ParseArgsOptionsConfig]>([
    ['run', RUN_OPTIONS],
    ['render', RENDER_OPTIONS],
    ['status', STATUS_OPTIONS],
    ['version', {}],
  ])("%s's usage names every flag the command parses, and -h, --help", (command, options) => {
    const text = commandUsage(command as (typeof COMMANDS)[number]);
    expect(text).toMatch(new RegExp(`^usage: kubeposture ${command}\\b`));
    const flags = [...text.matchAll(/^ {2}(?:-(\w), )?--([a-z-]+)/gm)].map((m) => m[2]);
    expect(flags.sort()).toEqual([...Object.keys(options), 'help'].sort());
    for (const [name, { short }] of Object.entries(options)) if (short !== undefined) expect(text).toContain(`-${short}, --${name} `);
    expect(text).toContain('-h, --help ');
  });

  it('names every command in the overview, each with its flags', () => {
    const text = overview();
    for (const c of COMMANDS) expect(text).toMatch(new RegExp(`^ {2}${c} +\\S`, 'm'));
    for (const name of [...Object.keys(RUN_OPTIONS), ...Object.keys(RENDER_OPTIONS), ...Object.keys(STATUS_OPTIONS)])
      expect(text).toMatch(new RegExp(`--${name}[ [=]`));
  });
});
