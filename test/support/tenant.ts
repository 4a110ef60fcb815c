/**
 * Acting as someone else on the test control plane: impersonation headers over
 * the tests' own (system:masters) kubeconfig, and a namespace admin (the
 * built-in `admin` ClusterRole bound by a RoleBinding in one namespace), the
 * tenant issue 13's bypasses are about.
 */
import type { RequestOptions } from 'node:https';
import type { OutgoingHttpHeaders } from 'node:http';
import type { ClusterAccess } from '../../src/kube/access.ts';
import { RestClient } from '../../src/kube/rest.ts';
import { resourcePath } from '../../src/kube/resources.ts';
import { uniqueName } from './cluster.ts';
import { kc, user } from './world.ts';

/** A client that acts as `name` (in `groups`, plus system:authenticated) through impersonation headers. */
export function impersonating(name: string, groups: readonly string[] = []): RestClient {
  const access: ClusterAccess = {
    getCurrentCluster: () => kc.getCurrentCluster(),
    applyToHTTPSOptions: async (opts: RequestOptions) => {
      await kc.applyToHTTPSOptions(opts);
      const headers = Array.isArray(opts.headers) ? {} : (opts.headers as OutgoingHttpHeaders | undefined);
      opts.headers = { ...headers, 'impersonate-user': name, ...(groups.length > 0 ? { 'impersonate-group': [...groups] } : {}) };
    },
  };
  return new RestClient(access, { userAgent: 'kubeposture-tests' });
}

/** A new user bound to the built-in `admin` ClusterRole in `namespace` only, and a client acting as them. */
export async function namespaceAdmin(namespace: string): Promise<{ readonly name: string; readonly client: RestClient }> {
  const name = uniqueName('tenant');
  await user.request('POST', resourcePath('RoleBinding', namespace), {
    body: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: `${name}-admin`, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name }],
    },
  });
  return { name, client: impersonating(name) };
}
