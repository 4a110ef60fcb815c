import { ANNOTATION_OWNED, NAME_DEFAULT_DENY } from '../api/constants.ts';
import type { WireObject } from '../kube/wire.ts';
import { denyFrom, judgeNetworkPolicy, recordedDeny, type DenyInPlace } from './allow-all.ts';
import { parseReview, reviewResponse, type AdmissionRequest } from './review.ts';

const namespace = (record?: unknown): WireObject => ({
  metadata: { name: 'team-a', ...(record === undefined ? {} : { annotations: { [ANNOTATION_OWNED]: JSON.stringify(record) } }) },
});
const denyPolicy = (uid: string, policyTypes: string[]): WireObject & { spec: unknown } => ({
  metadata: { name: NAME_DEFAULT_DENY, namespace: 'team-a', uid },
  spec: { podSelector: {}, policyTypes },
});
/** The deny as the webhook finds it: the record on the Namespace, then the policy at its name. */
const denyInPlace = (ns: WireObject | undefined, policy: (WireObject & { spec: unknown }) | undefined): DenyInPlace | undefined => {
  const r = recordedDeny(ns);
  return r === undefined ? undefined : denyFrom(r, policy);
};
const recorded = { base: { [`NetworkPolicy/${NAME_DEFAULT_DENY}`]: 'u-1', 'LimitRange/kubeposture-limits': 'u-2' } };

describe('denyInPlace', () => {
  it('is undefined without a record, or with a record that names no default-deny', () => {
    expect(denyInPlace(namespace(), denyPolicy('u-1', ['Ingress']))).toBeUndefined();
    expect(denyInPlace(undefined, undefined)).toBeUndefined();
    expect(denyInPlace(namespace({ base: { 'LimitRange/kubeposture-limits': 'u-2' } }), undefined)).toBeUndefined();
  });
  it('takes the directions from the recorded policy', () => {
    expect(denyInPlace(namespace(recorded), denyPolicy('u-1', ['Ingress']))).toEqual({
      baseline: 'base',
      directions: new Set(['Ingress']),
    });
    expect(denyInPlace(namespace(recorded), denyPolicy('u-1', ['Ingress', 'Egress']))?.directions).toEqual(new Set(['Ingress', 'Egress']));
  });
  it('counts both directions while the recorded deny is missing or replaced by someone else', () => {
    expect(denyInPlace(namespace(recorded), undefined)?.directions).toEqual(new Set(['Ingress', 'Egress']));
    expect(denyInPlace(namespace(recorded), denyPolicy('forged', []))?.directions).toEqual(new Set(['Ingress', 'Egress']));
  });
  it('reads a record kubeposture cannot have written as none', () => {
    const ns: WireObject = { metadata: { name: 'team-a', annotations: { [ANNOTATION_OWNED]: '{"base": {"NetworkPolicy/x": 5}' } } };
    expect(denyInPlace(ns, undefined)).toBeUndefined();
  });
});

const request = (operation: AdmissionRequest['operation'], spec: unknown, oldSpec?: unknown): AdmissionRequest => ({
  uid: 'r-1',
  operation,
  kind: { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy' },
  namespace: 'team-a',
  username: 'alice',
  object: { metadata: { name: 'open' }, spec },
  oldObject: oldSpec === undefined ? undefined : { metadata: { name: 'open' }, spec: oldSpec },
});
const ingressOnly: DenyInPlace = { baseline: 'base', directions: new Set(['Ingress']) };
const both: DenyInPlace = { baseline: 'base', directions: new Set(['Ingress', 'Egress']) };
const allowAllIngress = { podSelector: {}, ingress: [{}] };
const allowAllEgress = { podSelector: {}, policyTypes: ['Egress'], egress: [{}] };
const narrow = { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 80 }] }] };

describe('judgeNetworkPolicy', () => {
  it('refuses a policy admitting everyone in a denied direction, naming the policy, the baseline and the way out', () => {
    const v = judgeNetworkPolicy(request('CREATE', allowAllIngress), ingressOnly);
    expect(v.allowed).toBe(false);
    if (v.allowed) return;
    expect(v.message).toContain('NetworkPolicy open admits ingress from everyone on every port to all pods');
    expect(v.message).toContain('SecurityBaseline base keeps in namespace team-a');
    expect(v.message).toContain('part networkPolicy.denyIngress');
  });
  it('names both directions when both are opened', () => {
    const v = judgeNetworkPolicy(
      request('CREATE', { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [{}], egress: [{}] }),
      both,
    );
    expect(v.allowed ? '' : v.message).toContain('networkPolicy.denyIngress and networkPolicy.denyEgress');
  });
  it('admits what the deny does not close, narrow policies, and everything where no deny stands', () => {
    expect(judgeNetworkPolicy(request('CREATE', allowAllEgress), ingressOnly)).toEqual({ allowed: true });
    expect(judgeNetworkPolicy(request('CREATE', narrow), both)).toEqual({ allowed: true });
    expect(judgeNetworkPolicy(request('CREATE', allowAllIngress), undefined)).toEqual({ allowed: true });
    expect(judgeNetworkPolicy(request('DELETE', allowAllIngress), both)).toEqual({ allowed: true });
  });
  it('refuses the dodges findings see through: 0.0.0.0/0 in halves, every port as a range', () => {
    const halves = { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/1' } }, { ipBlock: { cidr: '128.0.0.0/1' } }] }] };
    const ipv6 = { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '::/0' } }] }] };
    expect(judgeNetworkPolicy(request('CREATE', halves), ingressOnly).allowed).toBe(false);
    expect(judgeNetworkPolicy(request('CREATE', ipv6), ingressOnly).allowed).toBe(false);
    expect(
      judgeNetworkPolicy(request('CREATE', { podSelector: {}, ingress: [{ ports: [{ port: 1, endPort: 65535 }] }] }), ingressOnly).allowed,
    ).toBe(false);
  });
  it('refuses an update that opens a direction, and admits one that keeps what the policy already admitted', () => {
    expect(judgeNetworkPolicy(request('UPDATE', allowAllIngress, narrow), ingressOnly).allowed).toBe(false);
    expect(judgeNetworkPolicy(request('UPDATE', allowAllIngress, allowAllIngress), ingressOnly)).toEqual({ allowed: true });
    expect(judgeNetworkPolicy(request('UPDATE', narrow, allowAllIngress), ingressOnly)).toEqual({ allowed: true });
  });
  it('judges an object with only generateName, and an object that is not one, without throwing', () => {
    const r = { ...request('CREATE', allowAllIngress), object: { metadata: { generateName: 'np-' }, spec: allowAllIngress } };
    expect(judgeNetworkPolicy(r, ingressOnly).allowed ? '' : (judgeNetworkPolicy(r, ingressOnly) as { message: string }).message).toContain(
      'np-<generated>',
    );
    expect(judgeNetworkPolicy({ ...r, object: 'nonsense' }, ingressOnly)).toEqual({ allowed: true });
  });
});

describe('parseReview', () => {
  const review = (request: unknown): unknown => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request });
  it('reads what the check needs', () => {
    const parsed = parseReview(
      review({
        uid: 'abc',
        operation: 'CREATE',
        kind: { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy' },
        namespace: 'team-a',
        userInfo: { username: 'alice', groups: ['g'] },
        object: { metadata: { name: 'x' } },
        oldObject: null,
      }),
    );
    expect(parsed).toEqual({
      ok: true,
      request: {
        uid: 'abc',
        operation: 'CREATE',
        kind: { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy' },
        namespace: 'team-a',
        username: 'alice',
        object: { metadata: { name: 'x' } },
        oldObject: undefined,
      },
    });
  });
  it.each([
    ['not an object', [], 'not a JSON object'],
    ['another kind', { apiVersion: 'v1', kind: 'Pod' }, 'apiVersion and kind'],
    ['no request', review(undefined), 'request: missing'],
    ['no uid', review({ operation: 'CREATE' }), 'request.uid'],
    ['an unknown operation', review({ uid: 'a', operation: 'PATCH' }), 'request.operation'],
  ])('names what is wrong: %s', (_, body, error) => {
    const parsed = parseReview(body);
    expect(parsed.ok ? '' : parsed.error).toContain(error);
  });
  it('answers a refusal as 403 with the uid it was asked', () => {
    expect(reviewResponse('abc', { allowed: false, message: 'no' })).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'abc', allowed: false, status: { code: 403, reason: 'Forbidden', message: 'no' } },
    });
    expect(reviewResponse('abc', { allowed: true })).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'abc', allowed: true },
    });
  });
});
