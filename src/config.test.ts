import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { mountedNamespace, parseRunConfig } from './config.ts';

const outside = (): undefined => undefined;
const inPod = (ns: string) => (): string => ns;
const lease = (
  args: string[],
  env: NodeJS.ProcessEnv = {},
  mounted: () => string | undefined = outside,
): { operatorNamespace: string | undefined; lease: string | undefined } => {
  const c = parseRunConfig(args, env, mounted);
  return { operatorNamespace: c.operatorNamespace, lease: c.leaderElection?.namespace };
};

describe('leader election, on in a cluster and off outside one unless asked', () => {
  it.each<
    [string, string[], NodeJS.ProcessEnv, () => string | undefined, { operatorNamespace: string | undefined; lease: string | undefined }]
  >([
    ['outside a cluster: off, no namespace needed', [], {}, outside, { operatorNamespace: undefined, lease: undefined }],
    ['outside, with --namespace: still off', ['--namespace', 'ops'], {}, outside, { operatorNamespace: 'ops', lease: undefined }],
    [
      'outside, asked with --leader-elect and --namespace',
      ['--leader-elect', '--namespace', 'ops'],
      {},
      outside,
      { operatorNamespace: 'ops', lease: 'ops' },
    ],
    [
      'outside, asked with --leader-election-namespace',
      ['--leader-election-namespace', 'locks'],
      {},
      outside,
      { operatorNamespace: undefined, lease: 'locks' },
    ],
    [
      'with $POD_NAMESPACE: on there',
      [],
      { POD_NAMESPACE: 'kubeposture-system' },
      outside,
      { operatorNamespace: 'kubeposture-system', lease: 'kubeposture-system' },
    ],
    ['in a Pod without $POD_NAMESPACE: on in the mounted namespace', [], {}, inPod('kp'), { operatorNamespace: 'kp', lease: 'kp' }],
    ['$POD_NAMESPACE wins over the mounted one', [], { POD_NAMESPACE: 'a' }, inPod('b'), { operatorNamespace: 'a', lease: 'a' }],
    ['--namespace wins over both', ['--namespace', 'c'], { POD_NAMESPACE: 'a' }, inPod('b'), { operatorNamespace: 'c', lease: 'c' }],
    [
      'in a cluster, the Lease elsewhere',
      ['--leader-election-namespace', 'locks'],
      { POD_NAMESPACE: 'a' },
      outside,
      { operatorNamespace: 'a', lease: 'locks' },
    ],
    [
      'in a cluster, turned off',
      ['--leader-elect=false'],
      { POD_NAMESPACE: 'a' },
      inPod('a'),
      { operatorNamespace: 'a', lease: undefined },
    ],
    ['an empty $POD_NAMESPACE is none', [], { POD_NAMESPACE: '' }, outside, { operatorNamespace: undefined, lease: undefined }],
  ])('%s', (_name, args, env, mounted, expected) => {
    expect(lease(args, env, mounted)).toEqual(expected);
  });

  it.each<[string[], NodeJS.ProcessEnv, RegExp]>([
    [
      ['--leader-elect=true'],
      {},
      /--leader-elect needs the operator's namespace for its Lease: set --namespace, \$POD_NAMESPACE or --leader-election-namespace/,
    ],
    [['--leader-elect', 'maybe'], {}, /--leader-elect "maybe" must be true or false/],
    [
      ['--leader-elect=false', '--leader-election-namespace', 'locks'],
      {},
      /--leader-election-namespace names the Lease of an election that --leader-elect=false turns off/,
    ],
    [['--leader-election-namespace', 'Not Valid'], {}, /--leader-election-namespace: "Not Valid" is not a namespace name/],
  ])('refuses %j', (args, env, message) => {
    expect(() => parseRunConfig(args, env, outside)).toThrow(message);
  });

  it('takes a bare --metrics-secure as true, as it takes --leader-elect', () => {
    expect(parseRunConfig(['--metrics-secure', '--namespace', 'a'], {}, outside).metricsServing).toEqual({
      kind: 'secure',
      certDir: undefined,
    });
    expect(parseRunConfig(['--metrics-secure', 'false'], {}, outside).metricsServing).toEqual({ kind: 'plain' });
  });

  it('elects in the Deployment of config/manager, as installed in kubeposture-system', () => {
    const [deployment] = loadAll(readFileSync(join(import.meta.dirname, '..', 'config', 'manager', 'deployment.yaml'), 'utf8')) as {
      spec: { template: { spec: { containers: { args?: string[]; env?: { name: string; value?: string; valueFrom?: unknown }[] }[] } } };
    }[];
    const container = deployment?.spec.template.spec.containers[0];
    // The kubelet fills in the fieldRefs: POD_NAMESPACE is the Pod's namespace, and so is the mounted one.
    const env = Object.fromEntries(
      (container?.env ?? []).map((e) => [e.name, e.value ?? (e.name === 'POD_NAMESPACE' ? 'kubeposture-system' : 'kubeposture-abc12')]),
    );
    const c = parseRunConfig(container?.args ?? [], env, inPod('kubeposture-system'));
    expect(c.leaderElection).toMatchObject({ namespace: 'kubeposture-system', identity: 'kubeposture-abc12' });
    // Even were the ServiceAccount token not mounted (automountServiceAccountToken: false).
    expect(parseRunConfig(container?.args ?? [], env, outside).leaderElection?.namespace).toBe('kubeposture-system');
  });
});

describe('mountedNamespace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kp-sa-'));
  it('reads the mounted namespace, trimmed', () => {
    writeFileSync(join(dir, 'namespace'), 'kubeposture-system\n');
    expect(mountedNamespace(join(dir, 'namespace'))).toBe('kubeposture-system');
  });
  it('is undefined when nothing is mounted, or the file is empty', () => {
    expect(mountedNamespace(join(dir, 'none'))).toBeUndefined();
    expect(mountedNamespace(join(dir, 'namespace', 'below-a-file'))).toBeUndefined();
    writeFileSync(join(dir, 'empty'), '\n');
    expect(mountedNamespace(join(dir, 'empty'))).toBeUndefined();
  });
  it('fails on a file it cannot read for another reason', () => {
    mkdirSync(join(dir, 'a-directory'));
    expect(() => mountedNamespace(join(dir, 'a-directory'))).toThrow(/EISDIR/);
  });
});
