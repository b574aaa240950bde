#!/usr/bin/env bash
# Start a real Kubernetes API server for the cluster tier of the tests: etcd
# and kube-apiserver v1.32 on 127.0.0.1, and a kubeconfig with an admin
# token. The three binaries (etcd, kube-apiserver, kubectl) are built from
# the Go module proxy on first use, with `go build`, into a cache directory
# that later runs reuse (about 4 minutes on 2 cores, once).
#
#   eval "$(.ci/kube-up.sh)"     # exports KUBECONFIG, PATH (kubectl), ORK_KUBE_STATE
#   ... kubectl / tests ...
#   .ci/kube-down.sh
#
# Environment: ORK_KUBE_VERSION (1.32.13), ORK_KUBE_CACHE (where binaries
# are kept; default the user cache dir), ORK_KUBE_STATE (the running
# cluster's files; default a new temporary directory), ORK_KUBE_PORT (16443),
# ORK_ETCD_PORT (23790; the peer port is the next one), ORK_KUBE_SERVICE_CIDR
# (10.0.0.0/16: room for the runtime benchmark's 500 Services).
set -euo pipefail

version=${ORK_KUBE_VERSION:-1.32.13}
cache=${ORK_KUBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ork-kube}/v$version
state=${ORK_KUBE_STATE:-$(mktemp -d "${TMPDIR:-/tmp}/ork-kube.XXXXXX")}
api_port=${ORK_KUBE_PORT:-16443}
etcd_port=${ORK_ETCD_PORT:-23790}
bin=$cache/bin
log() { echo "kube-up: $*" >&2; }

build() {
	local src=$cache/src
	rm -rf "$src" && mkdir -p "$src/etcd" "$bin"
	log "building etcd, kube-apiserver and kubectl v$version from the Go module proxy into $bin"
	# k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces
	# them with directories of its own tree; point them at their published
	# versions (v0.32.x for v1.32.x), as its go.mod lists them.
	local mod
	mod=$(cd "$src" && go mod download -json "k8s.io/kubernetes@v$version" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
	{
		echo "module orkdev.local/kubebuild"
		echo
		echo "go 1.23.0"
		echo
		echo "require k8s.io/kubernetes v$version"
		echo
		echo "replace ("
		sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/k8s.io/.*#\t\1 => \1 v0.'"${version#1.}"'#p' "$mod"
		echo ")"
	} >"$src/go.mod"
	cat >"$src/etcd/main.go" <<'GO'
// Command etcd is etcd's server, at the version kube-apiserver requires.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
	cat >"$src/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
	(
		cd "$src"
		go mod tidy
		local minor=${version#1.}
		minor=${minor%%.*}
		local ldflags="-X k8s.io/component-base/version.gitVersion=v$version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
		ldflags="$ldflags -X k8s.io/client-go/pkg/version.gitVersion=v$version -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"
		go build -trimpath -ldflags "$ldflags" -o "$bin/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl ./etcd
	) >&2
}

if [ ! -x "$bin/kube-apiserver" ] || [ ! -x "$bin/kubectl" ] || [ ! -x "$bin/etcd" ]; then
	build
fi

mkdir -p "$state"
log "state in $state"
# An admin token (static token file, group system:masters) and the keys
# that sign service account tokens.
token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
echo "$token,ork-admin,ork-admin,\"system:masters\"" >"$state/tokens.csv"
openssl genrsa -out "$state/sa.key" 2048 2>/dev/null
openssl rsa -in "$state/sa.key" -pubout -out "$state/sa.pub" 2>/dev/null

"$bin/etcd" --name ork-test --data-dir "$state/etcd" \
	--listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
	--listen-peer-urls "http://127.0.0.1:$((etcd_port + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((etcd_port + 1))" \
	--initial-cluster "ork-test=http://127.0.0.1:$((etcd_port + 1))" \
	--log-level error >"$state/etcd.log" 2>&1 &
echo $! >"$state/etcd.pid"

"$bin/kube-apiserver" \
	--etcd-servers "http://127.0.0.1:$etcd_port" \
	--bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
	--cert-dir "$state/certs" \
	--token-auth-file "$state/tokens.csv" --authorization-mode RBAC \
	--service-account-issuer https://kubernetes.default.svc --service-account-key-file "$state/sa.pub" \
	--service-account-signing-key-file "$state/sa.key" \
	--service-cluster-ip-range "${ORK_KUBE_SERVICE_CIDR:-10.0.0.0/16}" --disable-admission-plugins ServiceAccount \
	--enable-priority-and-fairness=false \
	>"$state/kube-apiserver.log" 2>&1 &
echo $! >"$state/kube-apiserver.pid"

cat >"$state/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
  - name: ork-test
    cluster:
      server: https://127.0.0.1:$api_port
      insecure-skip-tls-verify: true
users:
  - name: ork-admin
    user:
      token: $token
contexts:
  - name: ork-test
    context:
      cluster: ork-test
      user: ork-admin
current-context: ork-test
KUBECONFIG

for _ in $(seq 1 120); do
	if KUBECONFIG=$state/kubeconfig "$bin/kubectl" get --raw /readyz >/dev/null 2>&1; then
		log "kube-apiserver ready on https://127.0.0.1:$api_port"
		echo "export KUBECONFIG='$state/kubeconfig' ORK_KUBE_STATE='$state' PATH='$bin':\"\$PATH\""
		exit 0
	fi
	if ! kill -0 "$(cat "$state/kube-apiserver.pid")" 2>/dev/null; then
		log "kube-apiserver exited:"; tail -20 "$state/kube-apiserver.log" >&2
		break
	fi
	sleep 1
done
log "kube-apiserver did not become ready; its log ends:"
tail -20 "$state/kube-apiserver.log" >&2
ORK_KUBE_STATE=$state "$(dirname "$0")/kube-down.sh"
exit 1
