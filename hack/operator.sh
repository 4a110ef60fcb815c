#!/usr/bin/env bash
# Starts or stops `kubeposture run` in the background against the local control
# plane, by PID (checked against its command line, never by name).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
state="$root/.cache/cluster"
pidfile="$state/operator.pid"
ours() { [ -f "$pidfile" ] && grep -qa "src/cli/main.ts" "/proc/$(cat "$pidfile")/cmdline" 2>/dev/null; }
case "${1:-}" in
  start)
    mkdir -p "$state"
    nohup node "$root/src/cli/main.ts" run --kubeconfig "$state/kubeconfig" --status-interval 500ms --leader-elect=false >"$state/operator.log" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 1 50); do grep -q '"Started controller"' "$state/operator.log" && exit 0; sleep 0.2; done
    echo "operator did not start; see $state/operator.log" >&2; exit 1 ;;
  stop)
    if ours; then
      pid=$(cat "$pidfile"); kill -TERM "$pid"
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      echo "operator stopped"
    fi
    rm -f "$pidfile" ;;
  *) echo "usage: hack/operator.sh start|stop" >&2; exit 2 ;;
esac
