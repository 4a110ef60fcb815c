# kubeposture: the commands a developer and CI use. See README.md.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
# node_modules/.bin first: npm's `node` package provides the Node.js 24 the project runs on;
# .cache/bin holds the kubectl built with the local control plane.
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/.cache/bin:$(PATH)
NODE := node
JEST := $(NODE) --experimental-vm-modules --disable-warning=ExperimentalWarning node_modules/jest/bin/jest.js
CLUSTER := $(NODE) test/controlplane/cli.ts
KUBECONFIG_LOCAL := $(CURDIR)/.cache/cluster/kubeconfig

.PHONY: help install controlplane lint typecheck unit integration test build demo cluster-up cluster-down cluster-status clean

help:
	@echo "make demo          start the local control plane and show the demo"
	@echo "make test          lint, type check, unit and integration tests (real control plane)"
	@echo "make cluster-up    start the local control plane in the background; prints its kubeconfig"
	@echo "make cluster-down  stop it"

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: node_modules/.installed

controlplane:
	@bash test/controlplane/build.sh >/dev/null

lint: install
	eslint .

typecheck: install
	tsc -p tsconfig.json

unit: install
	$(JEST) --selectProjects unit

integration: install controlplane
	$(JEST) --selectProjects integration

test: install controlplane lint typecheck
	$(JEST)

build: install
	tsc -p tsconfig.build.json

cluster-up: install controlplane
	@$(CLUSTER) up

cluster-down: install
	@$(CLUSTER) down

cluster-status: install
	@$(CLUSTER) status

demo: cluster-up
	@export KUBECONFIG=$(KUBECONFIG_LOCAL); \
	echo "--- KUBECONFIG=$$KUBECONFIG"; \
	kubectl get --raw /version | grep gitVersion; \
	echo "--- installing the SecurityBaseline CRD"; \
	kubectl apply --server-side -f crds/; \
	kubectl wait --for=condition=Established crd/securitybaselines.kubeposture.io --timeout=60s; \
	echo "--- applying the sample baselines (config/samples)"; \
	for i in 1 2 3 4 5 6 7 8 9 10; do kubectl apply -k config/samples && break; sleep 1; done; \
	kubectl get securitybaselines; \
	echo "--- what namespace team-a (team=payments) must hold under the restricted sample:"; \
	$(NODE) src/cli/main.ts render -f config/samples/kubeposture_v1alpha1_securitybaseline_restricted.yaml -n team-a -l team=payments | awk '/^# namespace/ {print} /^kind:/ {k=$$2} /^  name:/ && k {print "  " k "/" $$2; k=""}'; \
	echo "--- the control plane keeps running; stop it with: make cluster-down"

clean: cluster-down
	rm -rf dist coverage .cache/cluster
