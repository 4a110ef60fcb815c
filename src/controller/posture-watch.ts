/**
 * What status reports besides drift: posture findings (src/posture/findings.ts).
 * Watches every NetworkPolicy (caching only those with findings, and of them only
 * the findings, so the cache stays empty in a cluster without any) and, by name, the admission policy
 * that guards selector labels. Neither cache holds up /readyz: on a cluster
 * without ValidatingAdmissionPolicy, or an install without the permission to
 * read it, the selector finding says it could not check.
 */
import { SELECTOR_GUARD } from '../api/constants.ts';
import type { Finding, LabelSelector } from '../api/types.ts';
import { networkPolicyFindings, selectorFindings, selectorGuardState, type GuardState } from '../posture/findings.ts';
import { Informer } from '../kube/informer.ts';
import type { WireObject } from '../kube/wire.ts';
import type { ValuePool } from '../kube/compact.ts';
import type { RestClient } from '../kube/rest.ts';
import type { Logger } from '../lib/log.ts';
import type { Clock } from '../lib/clock.ts';
import { errorMessage } from '../lib/errors.ts';

type PolicyRecord = WireObject & { readonly spec?: unknown; readonly findings?: readonly Finding[] };
type Binding = WireObject & { readonly spec?: { readonly policyName?: unknown; readonly validationActions?: unknown } };

const NONE: readonly Finding[] = [];
/** How long start waits for the guard's caches before status may say "could not be checked". */
const GUARD_SYNC_WAIT_MS = 5000;

export interface PostureDeps {
  readonly rest: RestClient;
  readonly clock: Clock;
  readonly log: Logger;
  readonly pool: ValuePool;
  /** A namespace's findings changed. */
  readonly onNamespace: (namespace: string) => void;
  /** The guard changed: every baseline's selector finding may have. */
  readonly onGuard: () => void;
}

export class PostureWatch {
  private readonly policies: Informer<PolicyRecord>;
  private readonly guardPolicy: Informer<WireObject>;
  private readonly guardBinding: Informer<Binding>;
  private readonly clock: Clock;

  constructor(deps: PostureDeps) {
    const { rest, clock, log, pool } = deps;
    this.clock = clock;
    const onError =
      (kind: string) =>
      (err: unknown): void => {
        log.debug('Restarting watch after an error', { kind, error: errorMessage(err) });
      };
    // Only policies with findings are cached: none, in a cluster where no tenant opened anything.
    this.policies = new Informer<PolicyRecord>(rest, {
      kind: 'NetworkPolicy',
      clock,
      onError: onError('NetworkPolicy (findings)'),
      transform: (np) => {
        // Every policy is judged, kubeposture's included: an ownerReference is a field a tenant can write.
        const findings = networkPolicyFindings(np);
        const { name, namespace, resourceVersion } = np.metadata;
        return {
          metadata: {
            name,
            ...(namespace === undefined ? {} : { namespace: pool.str(namespace) }),
            ...(resourceVersion === undefined ? {} : { resourceVersion }),
          },
          findings: findings.length === 0 ? NONE : findings,
        };
      },
      keep: (p) => p.findings !== undefined && p.findings.length > 0,
    });
    this.policies.on((e) => {
      const ns = e.object.metadata.namespace;
      if (ns !== undefined) deps.onNamespace(ns);
    });
    const byName = `metadata.name=${SELECTOR_GUARD}`;
    const keepSpec = <T extends WireObject>(o: T): T => ({
      ...o,
      metadata: { name: o.metadata.name, resourceVersion: o.metadata.resourceVersion },
    });
    this.guardPolicy = new Informer<WireObject>(rest, {
      kind: 'ValidatingAdmissionPolicy',
      clock,
      fieldSelector: byName,
      transform: keepSpec,
      onError: onError('ValidatingAdmissionPolicy'),
    });
    this.guardBinding = new Informer<Binding>(rest, {
      kind: 'ValidatingAdmissionPolicyBinding',
      clock,
      fieldSelector: byName,
      transform: keepSpec,
      onError: onError('ValidatingAdmissionPolicyBinding'),
    });
    for (const inf of [this.guardPolicy, this.guardBinding])
      inf.on(() => {
        deps.onGuard();
      });
  }

  /** The NetworkPolicy cache, which /readyz counts like the others. */
  get informers(): readonly Informer<WireObject>[] {
    return [this.policies];
  }

  /** Starts the guard's watches (waiting a little for them) alongside the caller's. */
  async startGuard(): Promise<void> {
    let cancel: () => void = () => undefined;
    const synced = Promise.all([this.guardPolicy.start(), this.guardBinding.start()]).then(
      () => undefined,
      () => undefined,
    );
    await Promise.race([
      synced,
      new Promise<void>((resolve) => {
        cancel = this.clock.setTimer(resolve, GUARD_SYNC_WAIT_MS);
      }),
    ]);
    cancel();
  }

  stop(): void {
    this.guardPolicy.stop();
    this.guardBinding.stop();
  }

  /** How many objects each of its caches holds, by a name that tells them from the controller's caches of the same kinds. */
  sizes(): Record<string, number> {
    return {
      'NetworkPolicy/findings': this.policies.size,
      'ValidatingAdmissionPolicy/guard': this.guardPolicy.size,
      'ValidatingAdmissionPolicyBinding/guard': this.guardBinding.size,
    };
  }

  /** Whether the selector-label policy is in place, as last seen. */
  guard(): GuardState {
    for (const inf of [this.guardPolicy, this.guardBinding]) {
      if (!inf.synced) return { state: 'unknown', error: inf.failing?.message ?? `${inf.kind} not listed yet` };
    }
    return selectorGuardState(this.guardPolicy.get(undefined, SELECTOR_GUARD), this.guardBinding.get(undefined, SELECTOR_GUARD));
  }

  /**
   * Findings for a baseline with this selector, in the namespaces it governs (unsorted). The
   * cache holds only policies with findings, so this reads those, not every namespace.
   */
  /** The findings about NetworkPolicies in one namespace (none cached: none found). */
  findingsIn(namespace: string): Finding[] {
    return this.policies.list(namespace).flatMap((p) => p.findings ?? NONE);
  }

  findings(selector: LabelSelector | undefined, governs: (namespace: string) => boolean): Finding[] {
    const out = selectorFindings(selector, this.guard());
    for (const p of this.policies.list()) {
      if (p.metadata.namespace !== undefined && governs(p.metadata.namespace)) out.push(...(p.findings ?? []));
    }
    return out;
  }
}
