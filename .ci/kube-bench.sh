#!/usr/bin/env bash
# ork-runtime's benchmarks against the cluster tier (part of make bench):
# start to ready for the demo bundle and 500 services, drift repair time,
# peak RSS. Skipped unless the cluster tier's binaries are built (make
# test-integration builds them once, about 4 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
version=${ORK_KUBE_VERSION:-1.32.13}
bin=${ORK_KUBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ork-kube}/v$version/bin
if [ ! -x "$bin/kube-apiserver" ] || [ ! -x "$bin/etcd" ] || [ ! -x "$bin/kubectl" ]; then
	echo "kube-bench: skipped: no cluster tier in $bin (make test-integration builds it)" >&2
	exit 0
fi
up=$(.ci/kube-up.sh)
eval "$up"
trap '.ci/kube-down.sh' EXIT
ORK_KUBE_TEST=1 go test -run '^$' -bench 'BenchmarkRuntimeReady' -benchtime 5x ./pkg/runtime
ORK_KUBE_TEST=1 go test -run '^$' -bench 'BenchmarkRuntimeDrift' -benchtime 15x ./pkg/runtime
