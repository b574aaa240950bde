#!/usr/bin/env bash
# Stop what .ci/kube-up.sh started (by the process ids it recorded) and
# remove its state directory.
set -uo pipefail
state=${ORK_KUBE_STATE:?ORK_KUBE_STATE names the directory kube-up.sh printed}
for name in kube-apiserver etcd; do
	if [ -f "$state/$name.pid" ]; then
		pid=$(cat "$state/$name.pid")
		kill "$pid" 2>/dev/null
		for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
		kill -9 "$pid" 2>/dev/null
	fi
done
rm -rf "$state"
