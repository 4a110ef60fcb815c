/**
 * The references the operator is measured against, run in the same benchmark:
 * - the floor: a tight client with nothing to decide, creating the objects the
 *   baseline wants with the operator's identity and concurrency (its workers, each
 *   writing a namespace's objects at once, in the operator's order: the grantor
 *   RoleBinding through which it holds what workload Roles grant, then the rest,
 *   RoleBindings after their Roles as RBAC requires of a binder without `bind`, and the
 *   same retry while the apiserver's RBAC cache catches up) — as fast as the apiserver
 *   accepts them; and for a change of spec, applying the changed objects to those it made.
 *   Where the bench's exceptions lift a part of the operator's baseline, the floor leaves out
 *   the same part in its namespace of the same index (`exempt`, see exceptions.ts);
 * - the script: what a user without the operator would run, `kubeposture render`
 *   piped into `kubectl apply`, one namespace after another.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DEFAULT_OPERATOR_SERVICE_ACCOUNT, LABEL_BASELINE, LABEL_MANAGED_BY } from '../../src/api/constants.ts';
import type { SecurityBaseline } from '../../src/api/types.ts';
import { desiredObjects, isGrantor } from '../../src/baseline/build.ts';
import { whileGrantSettles } from '../../src/controller/grant.ts';
import { orphanPatch } from '../../src/controller/patches.ts';
import type { Desired, ManagedObject } from '../../src/baseline/objects.ts';
import type { RestClient } from '../../src/kube/rest.ts';
import { resourcePath, type ResourceKind } from '../../src/kube/resources.ts';
import { ApiError } from '../../src/kube/transport.ts';
import { NOTHING_EXEMPT, type ExemptFor } from './exceptions.ts';

/** Runs `work` over `items` with `workers` at a time. */
export async function pool<T>(items: readonly T[], workers: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (;;) {
        const i = next;
        next += 1;
        const item = items[i];
        if (item === undefined) return;
        await work(item);
      }
    }),
  );
}

/** The field manager of the floor's writes. */
export const FLOOR_FIELD_MANAGER = 'bench-floor';

/** The managed-by label of the floor's objects. */
export const FLOOR_MANAGED_BY = 'kubeposture-bench-floor';

/**
 * The floor's copy of an object: the same fields, with its managed-by label
 * changed so that the operator (which watches that label) never sees it.
 */
export function floorCopy(o: ManagedObject): ManagedObject {
  if (o.kind === 'Namespace' || o.metadata.labels === undefined) return o;
  return { ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, [LABEL_MANAGED_BY]: FLOOR_MANAGED_BY } } };
}

/** `baseline`'s desired objects in `namespace`, less what `exempt` lifts there. */
function floorObjects(baseline: SecurityBaseline, namespace: string, exempt: ExemptFor): Desired[] {
  return desiredObjects(baseline, namespace, DEFAULT_OPERATOR_SERVICE_ACCOUNT, exempt(baseline.metadata.name, namespace));
}

/**
 * `baseline`'s objects in `namespace` as they would be if each workload's RoleBinding named one
 * ClusterRole per workload, made once for the cluster (`clusterRole` gives its name from the
 * Role's), instead of a Role of its own in every namespace: the RBAC design issue 20 asks to
 * weigh for a new namespace's median (bench.ts, `latencyVariants`). Without `grantor` the
 * grantor RoleBinding is left out too: a writer that may `bind` those ClusterRoles by name
 * needs none of their permissions. The objects carry `label` as their baseline label, so that
 * no check of the floor baseline's objects counts them.
 */
export function boundToClusterRoles(
  baseline: SecurityBaseline,
  namespace: string,
  clusterRole: (role: string) => string,
  grantor: boolean,
  label: string,
): Desired[] {
  return floorObjects(baseline, namespace, NOTHING_EXEMPT).flatMap((d): Desired[] => {
    const o = d.object;
    if (d.ownership === 'shared' || o.kind === 'Namespace') return [d];
    if (o.kind === 'Role' || (!grantor && isGrantor(o.kind, o.metadata.name))) return [];
    const metadata = { ...o.metadata, labels: { ...o.metadata.labels, [LABEL_BASELINE]: label } };
    if (o.kind !== 'RoleBinding' || isGrantor(o.kind, o.metadata.name)) return [{ ...d, object: { ...o, metadata } }];
    return [{ ...d, object: { ...o, metadata, roleRef: { ...o.roleRef, kind: 'ClusterRole', name: clusterRole(o.roleRef.name) } } }];
  });
}

/** Creates each namespace's objects `objects` gives, as runFloor does; resolves with the wall-clock milliseconds. */
export async function runFloorObjects(
  rest: RestClient,
  namespaces: readonly string[],
  workers: number,
  objects: (ns: string) => readonly Desired[],
): Promise<number> {
  return writeInWaves(rest, namespaces, workers, objects, (d) => (d.ownership === 'owned' ? 'create' : 'apply'));
}

/** Creates every namespace's desired objects (less what `exempt` lifts); resolves with the wall-clock milliseconds. */
export async function runFloor(
  rest: RestClient,
  baseline: SecurityBaseline,
  namespaces: readonly string[],
  workers: number,
  exempt: ExemptFor = NOTHING_EXEMPT,
): Promise<number> {
  return runFloorObjects(rest, namespaces, workers, (ns) => floorObjects(baseline, ns, exempt));
}

/**
 * Writes each namespace's objects `objects` gives, `workers` namespaces at a time, in the
 * operator's order (the grantor, then the rest, RoleBindings after their Roles), each write
 * retried while the apiserver's RBAC cache catches up; resolves with the wall-clock milliseconds.
 */
async function writeInWaves(
  rest: RestClient,
  namespaces: readonly string[],
  workers: number,
  objects: (ns: string) => readonly Desired[],
  verb: (d: Desired) => 'create' | 'apply',
): Promise<number> {
  const started = performance.now();
  await pool(namespaces, workers, async (ns) => {
    const all = objects(ns);
    const grantor = all.filter((d) => isGrantor(d.object.kind, d.object.metadata.name));
    const others = all.filter((d) => !grantor.includes(d));
    // A RoleBinding to a Role waits for the Role; one to a ClusterRole (the grantor's waits for
    // nothing, the others for the grantor) goes with the rest.
    const toRole = (d: Desired): boolean => d.object.kind === 'RoleBinding' && d.object.roleRef.kind === 'Role';
    for (const wave of [grantor, others.filter((d) => !toRole(d)), others.filter(toRole)]) {
      await Promise.all(
        wave.map(async (d) => {
          const o = floorCopy(d.object);
          await whileGrantSettles(
            async () => {
              if (verb(d) === 'create') await rest.create(o.kind, o, FLOOR_FIELD_MANAGER);
              else await rest.apply(o.kind, o, { fieldManager: FLOOR_FIELD_MANAGER, force: true });
            },
            async (ms) => {
              await new Promise((resolve) => {
                setTimeout(resolve, ms);
              });
            },
          );
        }),
      );
    }
  });
  return performance.now() - started;
}

/**
 * The floor for moving namespaces from one baseline to another (`from` undefined: from none):
 * server-side applies each of `to`'s objects whose floor copy differs from `from`'s (its
 * labels and ownerReference do, as the operator's do: so every owned object), in runFloor's
 * order, then deletes `from`'s owned objects `to` does not want. All by apply, so that the
 * floor's own field ownership carries every field and a later apply drops what it leaves out
 * (the old ownerReference, say), as the operator's apply does once it owns its fields.
 * Resolves with the wall-clock milliseconds.
 */
export async function runFloorSwitch(
  rest: RestClient,
  from: SecurityBaseline | undefined,
  to: SecurityBaseline,
  namespaces: readonly string[],
  workers: number,
): Promise<number> {
  const started = performance.now();
  const key = (d: Desired): string => `${d.object.kind}/${d.object.metadata.name}`;
  const fromObjects = (ns: string): Desired[] => (from === undefined ? [] : desiredObjects(from, ns, DEFAULT_OPERATOR_SERVICE_ACCOUNT));
  await writeInWaves(
    rest,
    namespaces,
    workers,
    (ns) => {
      const before = new Map(fromObjects(ns).map((d) => [key(d), JSON.stringify(floorCopy(d.object))] as const));
      return desiredObjects(to, ns, DEFAULT_OPERATOR_SERVICE_ACCOUNT).filter(
        (d) => before.get(key(d)) !== JSON.stringify(floorCopy(d.object)),
      );
    },
    () => 'apply',
  );
  await pool(namespaces, workers, async (ns) => {
    const wanted = new Set(desiredObjects(to, ns, DEFAULT_OPERATOR_SERVICE_ACCOUNT).map(key));
    const gone = fromObjects(ns).filter((d) => d.ownership === 'owned' && !wanted.has(key(d)));
    await Promise.all(gone.map((d) => deleteObject(rest, d.object.kind, ns, d.object.metadata.name)));
  });
  return performance.now() - started;
}

/**
 * The floor for deleting a baseline: each namespace's objects of `baseline` (less what `exempt` lifts) deleted
 * (`Delete`) or released (`Orphan`: as the operator releases its own, read and then one JSON
 * patch, taking off the managed-by and baseline labels, the ownerReference and the floor's
 * field ownership while leaving others' entries; until 2026-12-06 one merge patch that left the
 * field ownership in place, less than the operator does), the grantor deleted under either policy, then the shared
 * fields (the namespace's Pod Security labels, the default ServiceAccount's token mount)
 * given back by an empty apply, as the operator does; `workers` namespaces at a time.
 * Resolves with the wall-clock milliseconds.
 */
export async function runFloorRelease(
  rest: RestClient,
  baseline: SecurityBaseline,
  namespaces: readonly string[],
  workers: number,
  policy: 'Delete' | 'Orphan',
  exempt: ExemptFor = NOTHING_EXEMPT,
): Promise<number> {
  const started = performance.now();
  await pool(namespaces, workers, async (ns) => {
    const all = floorObjects(baseline, ns, exempt);
    const grantor = all.filter((d) => isGrantor(d.object.kind, d.object.metadata.name));
    // Releasing a Role needs the grant the grantor gives: it goes last.
    for (const wave of [all.filter((d) => !grantor.includes(d)), grantor]) {
      await Promise.all(
        wave.map(async ({ object: o, ownership }) => {
          if (ownership === 'shared') {
            const metadata = o.kind === 'Namespace' ? { name: o.metadata.name } : { name: o.metadata.name, namespace: ns };
            const empty = { apiVersion: o.apiVersion, kind: o.kind, metadata };
            await rest.apply(o.kind, empty, { fieldManager: FLOOR_FIELD_MANAGER, force: true });
          } else if (policy === 'Delete' || isGrantor(o.kind, o.metadata.name)) {
            await deleteObject(rest, o.kind, ns, o.metadata.name);
          } else {
            await release(rest, o.kind, ns, o.metadata.name);
          }
        }),
      );
    }
  });
  return performance.now() - started;
}

/**
 * Releases the floor's object: read, then the operator's orphan patch for the floor's field
 * manager (the read gives the field ownership to drop, which no cache holds). Another writer
 * between the two (the quota controller's status) fails the patch's resourceVersion test: read
 * again, a few times.
 */
async function release(rest: RestClient, kind: ResourceKind, namespace: string, name: string): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    const live = await rest.get(kind, namespace, name);
    if (live === undefined) throw new Error(`the floor's ${kind} ${namespace}/${name} is gone`);
    try {
      await rest.jsonPatch(kind, namespace, name, orphanPatch(live, FLOOR_FIELD_MANAGER));
      return;
    } catch (err: unknown) {
      if (attempt >= 5 || !(err instanceof ApiError) || (err.status !== 409 && err.status !== 422)) throw err;
    }
  }
}

async function deleteObject(rest: RestClient, kind: ResourceKind, namespace: string, name: string): Promise<void> {
  await rest.request('DELETE', resourcePath(kind, namespace, name));
}

/**
 * The floor for a change of spec: applies each namespace's desired objects of the `kinds`
 * given (less what `exempt` lifts) to the objects runFloor made, by server-side apply (the verb by which the operator
 * repairs and updates), one request per object, `workers` namespaces at a time; resolves with
 * the wall-clock milliseconds.
 */
export async function runFloorChange(
  rest: RestClient,
  baseline: SecurityBaseline,
  namespaces: readonly string[],
  workers: number,
  kinds: ReadonlySet<string>,
  exempt: ExemptFor = NOTHING_EXEMPT,
): Promise<number> {
  const started = performance.now();
  await pool(namespaces, workers, async (ns) => {
    const changed = floorObjects(baseline, ns, exempt).filter((d) => kinds.has(d.object.kind));
    await Promise.all(
      changed.map(async (d) => {
        const o = floorCopy(d.object);
        await rest.apply(o.kind, o, { fieldManager: FLOOR_FIELD_MANAGER, force: true });
      }),
    );
  });
  return performance.now() - started;
}

/**
 * `kubeposture render -f FILE -n NS -l k=v | kubectl apply -f -` for each
 * namespace in turn; resolves with the wall-clock milliseconds.
 */
export function runScript(
  root: string,
  kubeconfig: string,
  baselineFile: string,
  namespaces: readonly string[],
  labels: Readonly<Record<string, string>>,
): number {
  const started = performance.now();
  const labelArgs = Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  for (const ns of namespaces) {
    const rendered = spawnSync(
      process.execPath,
      [join(root, 'src/cli/main.ts'), 'render', '--file', baselineFile, '--namespace', ns, ...labelArgs],
      { encoding: 'utf8' },
    );
    if (rendered.status !== 0) throw new Error(`kubeposture render failed for ${ns}: ${rendered.stderr}`);
    const applied = spawnSync('kubectl', ['--kubeconfig', kubeconfig, 'apply', '-f', '-'], { input: rendered.stdout, encoding: 'utf8' });
    if (applied.status !== 0) throw new Error(`kubectl apply failed for ${ns}: ${applied.stderr}`);
  }
  return performance.now() - started;
}
