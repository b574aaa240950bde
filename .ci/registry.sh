#!/usr/bin/env bash
# Installs what the OCI integration tier needs, when missing:
#   - docker-registry, Debian's package of the CNCF distribution registry,
#     which the tests start on 127.0.0.1 (never as a service);
#   - the oras CLI, an independent client that pushes the interop fixtures,
#     built with `go install` into GOBIN (else GOPATH/bin), where it stays
#     between runs; the Go build cache keeps rebuilds cheap.
# Idempotent: a second run installs nothing.
set -euo pipefail

ORAS_VERSION=v1.3.6

if ! command -v docker-registry >/dev/null; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "registry.sh: docker-registry is missing; as root run: apt-get install docker-registry" >&2
		exit 1
	fi
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker-registry
	# Debian's package may start a service on :5000; the tests start their own.
	if command -v systemctl >/dev/null && systemctl is-active --quiet docker-registry 2>/dev/null; then
		systemctl stop docker-registry || true
		systemctl disable docker-registry || true
	fi
fi

gobin="$(go env GOBIN)"
[ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
if ! "$gobin/oras" version 2>/dev/null | grep -q "^Version: *${ORAS_VERSION#v}\$"; then
	GOBIN="$gobin" GOFLAGS=-buildvcs=false go install "oras.land/oras/cmd/oras@${ORAS_VERSION}"
fi

echo "registry.sh: $(docker-registry --version 2>/dev/null | head -n1); oras $("$gobin/oras" version | sed -n 's/^Version: *//p') in $gobin"
