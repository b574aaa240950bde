#!/usr/bin/env bash
# The cluster tier of the tests (make test-integration): start a real
# kube-apiserver and etcd on 127.0.0.1 (.ci/kube-up.sh; the first run builds
# them from the Go module proxy), run the scripts of testdata/plan/cluster
# and the schemas' differential test against them, and stop them, whatever
# the outcome.
set -euo pipefail
cd "$(dirname "$0")/.."
up=$(.ci/kube-up.sh)
eval "$up"
trap '.ci/kube-down.sh' EXIT
ORK_KUBE_TEST=1 go test -race -count=1 -run '^TestPlanCluster$' -v ./pkg/cli
ORK_KUBE_TEST=1 go test -race -count=1 -run '^TestCluster' -v ./pkg/runtime
# The schemas against the server: a corpus of manifests and mutations, each
# checked by ork and by kubectl apply --dry-run=server (no -race: CUE is
# several times slower under it).
ORK_KUBE_TEST=1 go test -count=1 -run '^TestServerAgrees$' -v ./pkg/schema
