#!/usr/bin/env bash
# make demo: local control plane, CRD, the operator in the background, the sample
# baselines and namespaces, then what kubectl shows. Run through make (PATH has
# Node 24 and the built kubectl first).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export KUBECONFIG="$root/.cache/cluster/kubeconfig"
state="$root/.cache/cluster"

echo "--- KUBECONFIG=$KUBECONFIG"
kubectl get --raw /version | grep gitVersion
echo "--- installing the SecurityBaseline CRD"
kubectl apply --server-side -f crds/
kubectl wait --for=condition=Established crd/securitybaselines.kubeposture.io --timeout=60s

bash hack/operator.sh stop >/dev/null
echo "--- starting the operator (logs: $state/operator.log)"
bash hack/operator.sh start

echo "--- applying the demo namespaces and the sample baselines"
kubectl apply -f hack/demo-namespaces.yaml
for _ in $(seq 1 20); do kubectl apply -k config/samples && break; sleep 1; done
kubectl wait --for=condition=Ready securitybaselines --all --timeout=60s >/dev/null

echo "--- kubectl get securitybaselines"
kubectl get securitybaselines
echo "--- kubeposture's objects in team-a (restricted, Enforce)"
kubectl get networkpolicies,limitranges,resourcequotas,serviceaccounts,roles,rolebindings -n team-a -l app.kubernetes.io/managed-by=kubeposture
kubectl get namespace team-a --show-labels
echo "--- dev-1 is under an Audit baseline: nothing written there"
kubectl get networkpolicies -n dev-1
echo "--- the operator keeps running with the control plane; stop both with: make cluster-down"
