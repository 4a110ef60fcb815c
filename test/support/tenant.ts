/**
 * Acting as someone else on the test control plane: impersonation headers on the
 * test kubeconfig (which is in system:masters), and the hostile tenant of
 * docs/security.md, a user bound to the built-in `admin` ClusterRole in one namespace.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { RequestOptions } from 'node:https';
import type { ClusterAccess } from '../../src/kube/access.ts';
import { RestClient } from '../../src/kube/rest.ts';
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

/** Binds `admin` to user `name` in `namespace` (what a namespace admin holds) and returns a client acting as them. */
export async function namespaceAdmin(name: string, namespace: string): Promise<RestClient> {
  const rbac = 'rbac.authorization.k8s.io';
  const binding = {
    apiVersion: `${rbac}/v1`, kind: 'RoleBinding', metadata: { name: `tenant-admin-${name}`, namespace },
    roleRef: { apiGroup: rbac, kind: 'ClusterRole', name: 'admin' },
    subjects: [{ apiGroup: rbac, kind: 'User', name }],
  };
  await user.create('RoleBinding', binding, 'kubeposture-tests');
  return impersonating(name);
}
