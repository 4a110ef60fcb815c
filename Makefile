# kubeposture: the commands a developer and CI use. See README.md.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
# node_modules/.bin first: npm's `node` package provides the Node.js 24 the project runs on;
# .cache/bin holds the kubectl built with the local control plane, and helm.
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/.cache/bin:$(PATH)
NODE := node
JEST := $(NODE) --experimental-vm-modules --disable-warning=ExperimentalWarning node_modules/jest/bin/jest.js
CLUSTER := $(NODE) test/controlplane/cli.ts
KUBECONFIG_LOCAL := $(CURDIR)/.cache/cluster/kubeconfig

.PHONY: help install controlplane helm lua lint format typecheck unit integration test bench bench-growth bench-preview bench-window bench-baselines bench-wide soak test-chaos build sbom demo run cluster-up cluster-down cluster-status clean

help:
	@echo "make demo          start the local control plane and show the demo"
	@echo "make test          lint, type check, unit and integration tests (real control plane)"
	@echo "make format        format the TypeScript with Prettier (make lint checks it)"
	@echo "make bench         the scale benchmark at 10,000 namespaces (~35 min with every phase; docs/performance.md)"
	@echo "                   PHASES=cold,spec-change (say) runs only those of script,cold,latency,resync,spec-change,restart,tier-switch,delete"
	@echo "make bench-growth  cold convergence and peak RSS at 1,000, 5,000 and 10,000 namespaces, with slopes per 1,000 (docs/performance.md)"
	@echo "make bench-preview what Audit mode's Pod Security preview costs at 10,000 namespaces with pods (docs/pod-security.md)"
	@echo "make bench-window  pods stored before their namespace's default-deny, without and with the guard (docs/performance.md)"
	@echo "make bench-baselines  1, 10 and 100 baselines with disjoint selectors over 10,000 namespaces (docs/performance.md)"
	@echo "make bench-wide    a baseline with 10 workload ServiceAccounts at 10,000 namespaces: convergence, peak RSS, memory per object (docs/performance.md)"
	@echo "make soak          30 minutes of churn at 10,000 namespaces: memory flat, queue drained, caches only live (docs/performance.md)"
	@echo "make test-chaos    the fault scenarios at 1,000 namespaces, each on its own control plane (~8 min; docs/reliability.md)"
	@echo "make cluster-up    start the local control plane in the background; prints its kubeconfig"
	@echo "make cluster-down  stop it (and the demo's operator)"
	@echo "make run ARGS=...  run the operator against the current kubeconfig context"
	@echo "make sbom          the CycloneDX SBOM of the packages the image ships, to $(SBOM)"

# npm runs on the system's Node. An older one (Debian's 20) drops an optional package whose
# dependencies need a newer Node, without a word: @kubernetes/client-node, optional so that the
# image leaves it out, needs undici (Node >= 22.19). So if it is missing, npm runs again, now
# under the Node.js 24 the first run installed (node_modules/.bin is first on PATH).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@[ -d node_modules/@kubernetes/client-node ] || npm ci --no-audit --no-fund
	@[ -d node_modules/@kubernetes/client-node ] || { echo "make install: npm did not install @kubernetes/client-node" >&2; exit 1; }
	@touch $@

install: node_modules/.installed

controlplane:
	@bash test/controlplane/build.sh >/dev/null

# helm, for the chart's tests (charts/kubeposture), built from the Go module proxy like the control plane.
helm:
	@bash test/helm/build.sh >/dev/null

# Argo CD's Lua VM (gopher-lua, from the Go module proxy), for the health check's test; cached in .cache/lua.
lua:
	@bash test/lua/build.sh >/dev/null

# Prettier formats the TypeScript and JavaScript; `make format` rewrites, `make lint` checks.
FORMATTED := 'src/**/*.ts' 'test/**/*.ts' 'hack/**/*.ts' '*.js'
lint: install
	prettier --check --log-level warn $(FORMATTED)
	eslint .

format: install
	prettier --write --log-level warn $(FORMATTED)

typecheck: install
	tsc -p tsconfig.json

unit: install lua
	$(JEST) --selectProjects unit

integration: install controlplane helm
	$(JEST) --selectProjects integration

test: install controlplane helm lua lint typecheck
	$(JEST)

build: install
	tsc -p tsconfig.build.json

# The image's production node_modules as a CycloneDX SBOM, made and validated by
# @cyclonedx/cyclonedx-npm (hack/sbom.sh says how; test/unit/sbom.test.ts checks it).
SBOM ?= dist/sbom.cdx.json
sbom: install
	@bash hack/sbom.sh $(SBOM)

cluster-up: install controlplane
	@$(CLUSTER) up

cluster-down: install
	@bash hack/operator.sh stop
	@$(CLUSTER) down

cluster-status: install
	@$(CLUSTER) status

demo: install controlplane
	@bash hack/demo.sh

run: install
	$(NODE) src/cli/main.ts run $(ARGS)

clean: cluster-down
	rm -rf dist coverage .cache/cluster

# The scale benchmark (not part of `make test`; a small version of it is). SIZES, SCRIPT, SAMPLES override;
# PHASES (comma-separated, of script,cold,latency,resync,spec-change,restart,tier-switch,delete; all when empty) selects
# the phases (cold convergence always runs: the others start from it). EXCEPTIONS: SecurityBaselineExceptions
# made at each size (100 unless set). More than one size (SIZES=1000,10000) adds a growth block.
# LATENCY_VARIANTS=1: the latency phase also times the floor with each workload's RoleBinding to a ClusterRole
# instead of a Role per namespace, without and with bind on it (docs/performance.md, "Where the time goes").
# OPERATOR_HEAP and OPERATOR_SOFT_LIMIT (MiB), for this and the other benchmarks: the operator's V8 heap and soft
# memory limit instead of config/manager/deployment.yaml's, as that file says to size them for a larger cache.
SIZES ?= 10000
SCRIPT ?= 100
SAMPLES ?= 200
PHASES ?=
OPERATOR_MEMORY = $(if $(OPERATOR_HEAP),--operator-heap $(OPERATOR_HEAP)) $(if $(OPERATOR_SOFT_LIMIT),--operator-soft-limit $(OPERATOR_SOFT_LIMIT))
bench: install controlplane
	$(NODE) test/bench/cli.ts --sizes $(SIZES) --script $(SCRIPT) --samples $(SAMPLES) $(if $(PHASES),--phases $(PHASES)) $(if $(EXCEPTIONS),--exceptions $(EXCEPTIONS)) $(if $(LATENCY_VARIANTS),--latency-variants) $(OPERATOR_MEMORY)

# How cold convergence and peak RSS grow with the cluster (not part of `make bench`):
# cold convergence alone at each of GROWTH_SIZES, each size's namespaces added to the earlier ones',
# with the slopes per 1,000 namespaces. EXCEPTIONS as for `make bench`.
GROWTH_SIZES ?= 1000,5000,10000
bench-growth: install controlplane
	$(NODE) test/bench/cli.ts --sizes $(GROWTH_SIZES) --script 0 --phases cold $(if $(EXCEPTIONS),--exceptions $(EXCEPTIONS)) $(OPERATOR_MEMORY)

# What Audit mode's Pod Security preview costs (not part of `make test`; a small version of it is).
# PREVIEW_NAMESPACES and PODS override.
PREVIEW_NAMESPACES ?= 10000
PODS ?= 5
bench-preview: install controlplane
	$(NODE) test/bench/cli.ts --sizes $(PREVIEW_NAMESPACES) --preview-pods $(PODS) $(OPERATOR_MEMORY)

# The unprotected window, without and with the guard (not part of `make test`; a small version of it is).
WINDOW ?= 300
bench-window: install controlplane
	$(NODE) test/bench/cli.ts --window $(WINDOW) $(OPERATOR_MEMORY)

# Many baselines with disjoint selectors over the same namespaces (not part of `make test`; a small
# version of it is). BASELINES (comma-separated counts) and BASELINES_NAMESPACES override.
BASELINES ?= 1,10,100
BASELINES_NAMESPACES ?= 10000
bench-baselines: install controlplane
	$(NODE) test/bench/cli.ts --sizes $(BASELINES_NAMESPACES) --baselines $(BASELINES) $(OPERATOR_MEMORY)

# A wide baseline (10 workload ServiceAccounts, 39 objects per namespace) against the standard one
# over the same namespaces (not part of `make test`; a small version of it is). WIDE_NAMESPACES overrides;
# EXCEPTIONS, as for `make bench`, makes that many SecurityBaselineExceptions at each step (none unless set).
WIDE_NAMESPACES ?= 10000
bench-wide: install controlplane
	$(NODE) test/bench/cli.ts --wide $(WIDE_NAMESPACES) $(if $(EXCEPTIONS),--exceptions $(EXCEPTIONS)) $(OPERATOR_MEMORY)

# The soak (not part of `make test`, nor of `make bench`; a small version of it is in `make test`): SOAK_NAMESPACES
# converged under two tiers, then SOAK_MINUTES of churn (test/bench/soak.ts), sampled every SOAK_SAMPLE seconds.
SOAK_NAMESPACES ?= 10000
SOAK_MINUTES ?= 30
SOAK_SAMPLE ?= 30
soak: install controlplane
	$(NODE) test/bench/cli.ts --sizes $(SOAK_NAMESPACES) --soak $(SOAK_MINUTES) --sample-every $(SOAK_SAMPLE) $(OPERATOR_MEMORY)

# The fault-injection suite (not part of `make test`; three scenarios at 100 namespaces are).
# NAMESPACES and SCENARIOS (comma-separated ids; all when empty) override.
NAMESPACES ?= 1000
SCENARIOS ?=
test-chaos: install controlplane
	$(NODE) test/chaos/cli.ts --namespaces $(NAMESPACES) $(if $(SCENARIOS),--scenarios $(SCENARIOS))
