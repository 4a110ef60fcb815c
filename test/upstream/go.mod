// Upstream projects whose files the tests use as they ship them (the OpenReports CRDs),
// pinned here and checked against go.sum: test/support/upstream.ts downloads each
// module from the Go module proxy and reads files from its directory, never a copy.
module kubeposture.io/upstream

go 1.24.0

require github.com/openreports/reports-api v0.2.1

// The legacy wgpolicyk8s.io/v1alpha2 PolicyReport CRDs, as Kyverno ships them
// (config/crds/policyreport/): kubernetes-sigs/wg-policy-prototypes, where they were
// defined, is not served by the module proxy. Only files are read; nothing is built.
require github.com/kyverno/kyverno v1.19.1
