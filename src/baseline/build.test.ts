import { baselineOf, baselineWith, restrictedManifest } from '../../test/support/baselines.ts';
import { desiredObjects, isGrantor, networkPolicies, podSecurityLabels } from './build.ts';
import type { Desired, NetworkPolicy } from './objects.ts';

const summary = (list: readonly Desired[]): string[] => list.map((d) => `${d.ownership} ${d.object.kind}/${d.object.metadata.name}`);

describe('desiredObjects', () => {
  const restricted = baselineOf(restrictedManifest());
  const objects = desiredObjects(restricted, 'team-a');

  it('builds every object of the DESIGN.md example, in apply order', () => {
    expect(summary(objects)).toEqual([
      'owned NetworkPolicy/kubeposture-default-deny',
      'owned NetworkPolicy/kubeposture-allow-dns',
      'owned LimitRange/kubeposture-limits',
      'owned ResourceQuota/kubeposture-quota',
      'owned ServiceAccount/app',
      'owned Role/kubeposture-app',
      'owned RoleBinding/kubeposture-app',
      'shared ServiceAccount/default',
      'shared Namespace/team-a',
    ]);
  });

  it('labels and owns every object it creates, and nothing it shares', () => {
    for (const d of objects) {
      const meta = d.object.metadata;
      if (d.ownership === 'owned') {
        expect(meta.labels).toEqual({ 'app.kubernetes.io/managed-by': 'kubeposture', 'kubeposture.io/baseline': 'restricted' });
        expect('ownerReferences' in meta ? meta.ownerReferences : undefined).toEqual([
          {
            apiVersion: 'kubeposture.io/v1alpha1',
            kind: 'SecurityBaseline',
            name: 'restricted',
            uid: restricted.metadata.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ]);
        expect('namespace' in meta ? meta.namespace : undefined).toBe('team-a');
      } else {
        expect('ownerReferences' in meta).toBe(false);
        expect(Object.keys(meta.labels ?? {}).filter((k) => k.startsWith('app.kubernetes.io') || k.startsWith('kubeposture.io'))).toEqual(
          [],
        );
      }
    }
  });

  it("never copies the baseline's own labels or annotations (Argo CD tracking) onto objects", () => {
    const manifest = restrictedManifest();
    manifest.metadata = {
      name: 'restricted',
      labels: { 'app.kubernetes.io/instance': 'argo-app' },
      annotations: { 'argocd.argoproj.io/tracking-id': 'x' },
    };
    const text = JSON.stringify(desiredObjects(baselineOf(manifest), 'team-a'));
    expect(text).not.toContain('argo');
  });

  it('gives the default ServiceAccount only automountServiceAccountToken=false', () => {
    const sa = objects.find((d) => d.ownership === 'shared' && d.object.kind === 'ServiceAccount');
    expect(sa?.object).toEqual({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'default', namespace: 'team-a' },
      automountServiceAccountToken: false,
    });
  });

  it('binds each workload ServiceAccount to a Role with exactly its rules', () => {
    const role = objects.find((d) => d.object.kind === 'Role')?.object;
    const binding = objects.find((d) => d.object.kind === 'RoleBinding')?.object;
    expect(role).toMatchObject({ rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }] });
    expect(binding).toMatchObject({
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'kubeposture-app' },
      subjects: [{ kind: 'ServiceAccount', name: 'app', namespace: 'team-a' }],
    });
  });

  it('makes no Role and no RoleBinding for a workload without rules', () => {
    const b = baselineWith('b', { serviceAccounts: { workloads: [{ name: 'quiet' }, { name: 'empty', rules: [] }] } });
    expect(summary(desiredObjects(b, 'ns'))).toEqual([
      'owned NetworkPolicy/kubeposture-default-deny',
      'owned NetworkPolicy/kubeposture-allow-dns',
      'owned ServiceAccount/quiet',
      'owned ServiceAccount/empty',
      'shared ServiceAccount/default',
    ]);
  });

  it('puts every Role before any RoleBinding when there are several workloads', () => {
    const rules = [{ resources: ['pods'], verbs: ['get'] }];
    const b = baselineWith('b', {
      networkPolicy: { denyIngress: false, denyEgress: false },
      serviceAccounts: {
        disableDefaultTokenMount: false,
        workloads: [
          { name: 'a', rules },
          { name: 'b', rules },
        ],
      },
    });
    expect(summary(desiredObjects(b, 'ns'))).toEqual([
      'owned ServiceAccount/a',
      'owned ServiceAccount/b',
      'owned Role/kubeposture-a',
      'owned Role/kubeposture-b',
      'owned RoleBinding/kubeposture-a',
      'owned RoleBinding/kubeposture-b',
    ]);
  });

  describe("the grantor RoleBinding of kubeposture's own ServiceAccount", () => {
    const operator = { namespace: 'kubeposture-system', name: 'kubeposture' };
    const rules = [{ resources: ['pods'], verbs: ['get'] }];
    const rbac = (workloads: unknown[], who: typeof operator | undefined): string[] => {
      const b = baselineWith('b', { networkPolicy: { denyIngress: false, denyEgress: false }, serviceAccounts: { workloads } });
      return summary(desiredObjects(b, 'ns', who)).filter((s) => s.includes('Role'));
    };
    it.each<[string, unknown[], typeof operator | undefined, string[]]>([
      [
        'one per namespace, before the Roles, when a workload has rules',
        [
          { name: 'a', rules },
          { name: 'b', rules },
        ],
        operator,
        [
          'owned RoleBinding/kubeposture:grantor',
          'owned Role/kubeposture-a',
          'owned Role/kubeposture-b',
          'owned RoleBinding/kubeposture-a',
          'owned RoleBinding/kubeposture-b',
        ],
      ],
      [
        'when only some workloads have rules',
        [{ name: 'a' }, { name: 'b', rules }],
        operator,
        ['owned RoleBinding/kubeposture:grantor', 'owned Role/kubeposture-b', 'owned RoleBinding/kubeposture-b'],
      ],
      ['none when no workload has rules', [{ name: 'a' }, { name: 'b', rules: [] }], operator, []],
      [
        'none when kubeposture is not a ServiceAccount',
        [{ name: 'a', rules }],
        undefined,
        ['owned Role/kubeposture-a', 'owned RoleBinding/kubeposture-a'],
      ],
    ])('%s', (_, workloads, who, want) => {
      expect(rbac(workloads, who)).toEqual(want);
    });

    it('binds ClusterRole kubeposture-grants to that ServiceAccount, owned and labelled like every managed object', () => {
      const all = desiredObjects(restricted, 'team-a', operator);
      const grantor = all.find((d) => isGrantor(d.object.kind, d.object.metadata.name))?.object;
      const role = all.find((d) => d.object.kind === 'Role')?.object;
      if (role?.kind !== 'Role') throw new Error('no Role');
      expect(grantor).toMatchObject({
        metadata: {
          name: 'kubeposture:grantor',
          namespace: 'team-a',
          labels: role.metadata.labels,
          ownerReferences: role.metadata.ownerReferences,
        },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kubeposture-grants' },
        subjects: [{ kind: 'ServiceAccount', name: 'kubeposture', namespace: 'kubeposture-system' }],
      });
    });

    it("never shares a name with a workload's Role or RoleBinding", () => {
      expect(isGrantor('RoleBinding', 'kubeposture:grantor')).toBe(true);
      expect(isGrantor('Role', 'kubeposture:grantor')).toBe(false);
      expect(isGrantor('RoleBinding', 'kubeposture-grantor')).toBe(false);
    });
  });

  it('defaults to deny both ways with DNS allowed, and nothing else, for an empty spec', () => {
    expect(summary(desiredObjects(baselineWith('b', {}), 'ns'))).toEqual([
      'owned NetworkPolicy/kubeposture-default-deny',
      'owned NetworkPolicy/kubeposture-allow-dns',
    ]);
  });

  it('is deterministic', () => {
    expect(desiredObjects(restricted, 'team-a')).toEqual(desiredObjects(baselineOf(restrictedManifest()), 'team-a'));
  });
});

describe('networkPolicies', () => {
  const policies = (np: Record<string, boolean>): NetworkPolicy[] => {
    const b = baselineWith('b', { networkPolicy: np });
    return networkPolicies(b, 'ns', b.spec.networkPolicy);
  };
  const shape = (list: NetworkPolicy[]): string[] => list.map((p) => `${p.metadata.name}:${p.spec.policyTypes.join('+')}`);

  it.each<[string, Record<string, boolean>, string[]]>([
    ['deny both, DNS', {}, ['kubeposture-default-deny:Ingress+Egress', 'kubeposture-allow-dns:Egress']],
    ['deny both, no DNS', { allowDNS: false }, ['kubeposture-default-deny:Ingress+Egress']],
    ['deny ingress only: no DNS policy (it would isolate egress)', { denyEgress: false }, ['kubeposture-default-deny:Ingress']],
    ['deny egress only', { denyIngress: false }, ['kubeposture-default-deny:Egress', 'kubeposture-allow-dns:Egress']],
    ['deny nothing', { denyIngress: false, denyEgress: false, allowSameNamespace: true }, []],
    [
      'same namespace, both denied',
      { allowSameNamespace: true },
      ['kubeposture-default-deny:Ingress+Egress', 'kubeposture-allow-dns:Egress', 'kubeposture-allow-same-namespace:Ingress+Egress'],
    ],
    [
      'same namespace, ingress denied only',
      { denyEgress: false, allowSameNamespace: true },
      ['kubeposture-default-deny:Ingress', 'kubeposture-allow-same-namespace:Ingress'],
    ],
  ])('%s', (_name, np, want) => {
    expect(shape(policies(np))).toEqual(want);
  });

  it('selects every pod and allows DNS only to kube-dns in kube-system, on UDP and TCP 53', () => {
    const dns = policies({}).find((p) => p.metadata.name === 'kubeposture-allow-dns');
    expect(dns?.spec).toEqual({
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
              podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
            },
          ],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
      ],
    });
  });

  it('allows same-namespace traffic only in the denied directions', () => {
    const same = policies({ denyEgress: false, allowSameNamespace: true }).find(
      (p) => p.metadata.name === 'kubeposture-allow-same-namespace',
    );
    expect(same?.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: {} }] }] });
  });
});

describe('podSecurityLabels', () => {
  it.each<[string, Record<string, string> | undefined, Record<string, string>]>([
    ['none', undefined, {}],
    [
      'enforce only, default version',
      { enforce: 'restricted' },
      {
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
      },
    ],
    [
      'all three, pinned version',
      { enforce: 'baseline', enforceVersion: 'v1.34', audit: 'restricted', warn: 'restricted', warnVersion: 'v1.33' },
      {
        'pod-security.kubernetes.io/enforce': 'baseline',
        'pod-security.kubernetes.io/enforce-version': 'v1.34',
        'pod-security.kubernetes.io/audit': 'restricted',
        'pod-security.kubernetes.io/audit-version': 'latest',
        'pod-security.kubernetes.io/warn': 'restricted',
        'pod-security.kubernetes.io/warn-version': 'v1.33',
      },
    ],
    ['versions alone set no label', { enforceVersion: 'v1.30' }, {}],
  ])('%s', (_name, podSecurity, want) => {
    const b = baselineWith('b', podSecurity === undefined ? {} : { podSecurity });
    expect(podSecurityLabels(b.spec.podSecurity)).toEqual(want);
  });
});

describe('additional policies and DNS', () => {
  const build = (networkPolicy: Record<string, unknown>): NetworkPolicy[] => {
    const b = baselineWith('b', { networkPolicy });
    return networkPolicies(b, 'ns', b.spec.networkPolicy);
  };

  it('makes kubeposture-<name> as the apiserver stores it: policyTypes and protocols defaulted, both rule lists set', () => {
    const list = build({
      additional: [{ name: 'scrape', egress: [{ ports: [{ port: 9090 }] }], ingress: [{ ports: [{ port: 'metrics' }] }] }],
    });
    expect(list.find((p) => p.metadata.name === 'kubeposture-scrape')?.spec).toEqual({
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ ports: [{ port: 'metrics', protocol: 'TCP' }] }],
      egress: [{ ports: [{ port: 9090, protocol: 'TCP' }] }],
    });
  });

  it('defaults policyTypes to Ingress alone without egress rules, and keeps them as written', () => {
    const list = build({ additional: [{ name: 'a' }, { name: 'b', policyTypes: ['Egress'] }] });
    expect(list.map((p) => `${p.metadata.name}:${p.spec.policyTypes.join('+')}`)).toEqual([
      'kubeposture-default-deny:Ingress+Egress',
      'kubeposture-allow-dns:Egress',
      'kubeposture-a:Ingress',
      'kubeposture-b:Egress',
    ]);
  });

  it('makes additional policies even where the baseline denies nothing (they are the platform’s, as written)', () => {
    expect(build({ denyIngress: false, denyEgress: false, additional: [{ name: 'a' }] }).map((p) => p.metadata.name)).toEqual([
      'kubeposture-a',
    ]);
  });

  it('sends DNS where spec.networkPolicy.dns says, each list defaulting on its own', () => {
    const dns = (d: Record<string, unknown>): unknown =>
      build({ dns: d }).find((p) => p.metadata.name === 'kubeposture-allow-dns')?.spec.egress;
    expect(dns({ to: [{ ipBlock: { cidr: '169.254.20.10/32' } }] })).toEqual([
      {
        to: [{ ipBlock: { cidr: '169.254.20.10/32' } }],
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
    ]);
    expect(dns({ ports: [{ port: 5353 }] })).toEqual([
      {
        to: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
            podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
          },
        ],
        ports: [{ port: 5353, protocol: 'TCP' }],
      },
    ]);
  });
});

describe('shared policy specs', () => {
  it('are built once per parsed baseline, frozen, and the same in every namespace', () => {
    const b = baselineWith('b', { networkPolicy: { additional: [{ name: 'a', egress: [{ ports: [{ port: 443 }] }] }] } });
    const [one, two] = ['ns-1', 'ns-2'].map((ns) => networkPolicies(b, ns, b.spec.networkPolicy));
    for (const name of ['kubeposture-a', 'kubeposture-allow-dns']) {
      const a = one?.find((p) => p.metadata.name === name)?.spec;
      expect(a).toBeDefined();
      expect(two?.find((p) => p.metadata.name === name)?.spec).toBe(a);
      expect(Object.isFrozen(a?.egress?.[0]?.ports?.[0])).toBe(true);
    }
  });
});

describe('parts shared by every namespace', () => {
  it('are frozen and the same object in every namespace, while the baseline itself is left unfrozen', () => {
    const b = baselineOf(restrictedManifest());
    const [one, two] = ['ns-1', 'ns-2'].map((ns) => desiredObjects(b, ns, { name: 'kubeposture', namespace: 'kubeposture-system' }));
    const part = (list: Desired[] | undefined, kind: string, read: (o: Record<string, unknown>) => unknown): unknown => {
      const o = list?.find((d) => d.object.kind === kind)?.object as unknown as Record<string, unknown> | undefined;
      if (o === undefined) throw new Error(`no ${kind} built`);
      return read(o);
    };
    const spec = (o: Record<string, unknown>): Record<string, unknown> => o.spec as Record<string, unknown>;
    const meta = (o: Record<string, unknown>): Record<string, unknown> => o.metadata as Record<string, unknown>;
    const shared: [string, (o: Record<string, unknown>) => unknown][] = [
      ['ResourceQuota', (o) => spec(o).hard],
      ['LimitRange', (o) => spec(o).limits],
      ['NetworkPolicy', (o) => o.spec],
      ['NetworkPolicy', (o) => meta(o).labels],
      ['NetworkPolicy', (o) => meta(o).ownerReferences],
      ['Role', (o) => o.rules],
    ];
    for (const [kind, read] of shared) {
      const a = part(one, kind, read);
      expect(Object.isFrozen(a)).toBe(true);
      expect(part(two, kind, read)).toBe(a);
    }
    // The same values as the baseline says, in copies: the parsed baseline is not frozen by building from it.
    expect(part(one, 'ResourceQuota', (o) => spec(o).hard)).toEqual(b.spec.resourceQuota?.hard);
    expect(Object.isFrozen(b.spec.resourceQuota?.hard)).toBe(false);
    // What names the namespace is not shared.
    expect(part(one, 'RoleBinding', (o) => o.subjects)).not.toBe(part(two, 'RoleBinding', (o) => o.subjects));
  });
});
