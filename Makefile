# ork's one entry point for building, testing and measuring.
GO        ?= go
PKG       := github.com/orkdev/ork
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
COMMIT    ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS   := -X $(PKG)/pkg/cli.version=$(VERSION) -X $(PKG)/pkg/cli.commit=$(COMMIT)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.6.1
FUZZTIME  ?= 20s

.PHONY: build demo test test-integration registry bench fuzz lint check clean

## build: compile ./ork
build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o ork ./cmd/ork

## demo: build ork and write the demo Komposer's bundles into bundles/
demo: build
	./ork generate bundle -f testdata/demo/komposer.yaml -o bundles/

## test: vet, gofmt, and every test with the race detector (the one test command)
test:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

## test-integration: the cluster tier: etcd and kube-apiserver v1.32 on 127.0.0.1
## (built from the Go module proxy on first use), ork plan --against cluster
test-integration:
	bash .ci/kube-test.sh

## registry: install docker-registry and the oras CLI for the OCI tier of make test
registry:
	bash .ci/registry.sh

## bench: Go benchmarks and the generate workload at four sizes, cold and warm
## (ork against helm template and cue export in the same run; helm and cue are
## installed from the Go module proxy into the user cache directory)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./pkg/merge ./pkg/bundle ./pkg/schema ./pkg/compose
	$(GO) test -run '^$$' -bench 'Generate' -benchtime 5x -timeout 60m -v ./pkg/workload
	$(GO) test -run '^$$' -bench 'GitSource' -benchtime 7x -v ./pkg/workload
	$(GO) test -run '^$$' -bench Plan -benchtime 20x -v ./pkg/plan
	$(GO) test -run '^$$' -bench BenchmarkOCI -benchtime 15x ./pkg/cli

## fuzz: run each fuzz target for FUZZTIME; seeds live in testdata/fuzz
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./pkg/manifest
	$(GO) test -run '^$$' -fuzz '^FuzzPatch$$' -fuzztime $(FUZZTIME) ./pkg/merge
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./pkg/komposer
	$(GO) test -run '^$$' -fuzz '^FuzzKept$$' -fuzztime $(FUZZTIME) ./pkg/compose
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./pkg/bundle
	$(GO) test -run '^$$' -fuzz '^FuzzWriter$$' -fuzztime $(FUZZTIME) ./pkg/bundle
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./pkg/lock
	$(GO) test -run '^$$' -fuzz '^FuzzCompare$$' -fuzztime $(FUZZTIME) ./pkg/plan
	$(GO) test -run '^$$' -fuzz '^FuzzLive$$' -fuzztime $(FUZZTIME) ./pkg/plan
	$(GO) test -run '^$$' -fuzz '^FuzzMask$$' -fuzztime $(FUZZTIME) ./pkg/plan
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./pkg/source/oci
	$(GO) test -run '^$$' -fuzz '^FuzzReadArchive$$' -fuzztime $(FUZZTIME) ./pkg/source/oci

## lint: gofmt, go vet and staticcheck (pinned)
lint:
	@test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

## check: go.mod tidy and the committed demo bundles current
check:
	$(GO) mod tidy -diff
	@tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && \
	$(GO) run ./cmd/ork generate bundle -q -f testdata/demo/komposer.yaml -o $$tmp/ && \
	diff -r bundles $$tmp && echo "bundles/ is current"

clean:
	rm -f ork
