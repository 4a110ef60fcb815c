/**
 * The reconciler's scenarios again, with the operator holding nothing but its
 * own ServiceAccount's permissions from config/rbac: the proof that the
 * ClusterRole is enough for every one of them.
 */
import { installDefaultConfig, OPERATOR_NAMESPACE, serviceAccountKubeConfig } from '../support/identity.ts';
import { startOperator } from '../support/operator.ts';
import { reconcilerScenarios } from '../support/reconciler-scenarios.ts';
import { RESTRICTED_OBJECTS_AS_OPERATOR } from '../support/world.ts';

reconcilerScenarios(async () => {
  await installDefaultConfig();
  return startOperator({ operatorNamespace: OPERATOR_NAMESPACE }, await serviceAccountKubeConfig());
}, RESTRICTED_OBJECTS_AS_OPERATOR);
