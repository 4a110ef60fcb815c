#!/usr/bin/env bash
# make demo: from a fresh clone, the whole job on the local control plane:
# build (first time) and start it, install the CRD, start the operator, create sample
# namespaces and baselines, wait until Ready, show what kubeposture did, and repair a
# deleted NetworkPolicy live. Then it stops everything, unless KEEP=1 (make demo KEEP=1).
# Run through make: PATH has Node 24 and the built kubectl first.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export KUBECONFIG="$root/.cache/cluster/kubeconfig"
state="$root/.cache/cluster"
step=0
say() { step=$((step + 1)); printf '\n[%d] %s\n' "$step" "$*"; }
fail() { printf '\ndemo failed at step %d: %s\n' "$step" "$*" >&2; [ -f "$state/operator.log" ] && tail -5 "$state/operator.log" >&2; exit 1; }
cleanup() {
  if [ "${KEEP:-0}" = 1 ]; then
    printf '\nLeft running (KEEP=1): KUBECONFIG=%s, operator log %s/operator.log. Stop with: make cluster-down\n' "$KUBECONFIG" "$state"
  else
    bash hack/operator.sh stop >/dev/null || true
    node test/controlplane/cli.ts down 2>/dev/null || true
    printf '\nStopped the operator and the control plane (make demo KEEP=1 keeps them for exploring).\n'
  fi
}

say "Starting the local control plane (the first run builds it from Go modules: several minutes)"
node test/controlplane/cli.ts up >/dev/null || fail "the control plane did not start"
trap cleanup EXIT
kubectl get --raw /version | grep gitVersion || fail "the apiserver does not answer"

say "Installing the CRDs (SecurityBaseline, SecurityBaselineException)"
kubectl apply --server-side -k crds >/dev/null || fail "kubectl apply of the CRDs"
kubectl wait --for=condition=Established crd/securitybaselines.kubeposture.io crd/securitybaselineexceptions.kubeposture.io --timeout=60s >/dev/null ||
  fail "the CRDs were not established"

say "Starting the operator (log: $state/operator.log)"
bash hack/operator.sh stop >/dev/null
bash hack/operator.sh start || fail "the operator did not start"

say "Creating sample namespaces and applying the sample baselines (config/samples)"
kubectl apply -f hack/demo-namespaces.yaml >/dev/null || fail "kubectl apply of the namespaces"
applied=0
for _ in $(seq 1 20); do kubectl apply -k config/samples >/dev/null 2>&1 && { applied=1; break; }; sleep 1; done
[ "$applied" = 1 ] || fail "kubectl apply -k config/samples"

say "Waiting until every baseline is Ready"
kubectl wait --for=condition=Ready securitybaselines --all --timeout=60s >/dev/null || fail "baselines did not become Ready"
sleep 1
kubectl get securitybaselines

say "What kubeposture made in team-a (restricted, Enforce)"
kubectl get networkpolicies,limitranges,resourcequotas,serviceaccounts,roles,rolebindings -n team-a -l app.kubernetes.io/managed-by=kubeposture
kubectl get namespace team-a --show-labels | sed 's/,/ /g'

say "Drift, live: deleting NetworkPolicy kubeposture-default-deny in team-a"
kubectl delete networkpolicy kubeposture-default-deny -n team-a
for _ in $(seq 1 50); do kubectl get networkpolicy kubeposture-default-deny -n team-a >/dev/null 2>&1 && break; sleep 0.1; done
kubectl get networkpolicy kubeposture-default-deny -n team-a || fail "the NetworkPolicy did not come back"
sleep 1.5
echo "status.repairs of the restricted baseline:"
kubectl get securitybaseline restricted -o jsonpath='{range .status.repairs.recent[*]}  {.repairedAt}  {.namespace}  {.kind}/{.name}  {.reason}{"\n"}{end}'
echo "dev-1 is under an Audit baseline: nothing written there, drift reported instead:"
kubectl get securitybaseline dev-audit -o jsonpath='{.status.conditions[?(@.type=="Compliant")].message}{"\n"}'
