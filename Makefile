# ork's one entry point for building, testing and measuring.
GO        ?= go
PKG       := github.com/orkdev/ork
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
COMMIT    ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS   := -X $(PKG)/pkg/cli.version=$(VERSION) -X $(PKG)/pkg/cli.commit=$(COMMIT)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.6.1
FUZZTIME  ?= 20s

.PHONY: build demo test test-integration registry bench fuzz fuzz-long lint check clean image

## build: compile ./ork and ./ork-runtime
build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o ork ./cmd/ork
	$(GO) build -trimpath -o ork-runtime ./cmd/ork-runtime

## image: ork-runtime's container image (static, non-root, no shell) into the
## OCI layout oci/ork-runtime, reproducibly, without Docker
IMAGE_ARCH ?= $(shell $(GO) env GOARCH)
image:
	CGO_ENABLED=0 GOOS=linux GOARCH=$(IMAGE_ARCH) $(GO) build -trimpath -buildvcs=false -ldflags '-s -w -buildid=' -o oci/.ork-runtime-linux-$(IMAGE_ARCH) ./cmd/ork-runtime
	$(GO) run ./cmd/ork-image -binary oci/.ork-runtime-linux-$(IMAGE_ARCH) -arch $(IMAGE_ARCH) -o oci/ork-runtime
	rm -f oci/.ork-runtime-linux-$(IMAGE_ARCH)

## demo: build ork and write the demo Komposer's bundles into bundles/
demo: build
	./ork generate bundle -f testdata/demo/komposer.yaml -o bundles/

## test: vet, gofmt, and every test with the race detector (the one test command);
## the last line says which integration tiers ran, and why the others did not
test:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	@report=$$(mktemp) && trap 'rm -f "$$report"' EXIT && \
	echo "$(GO) test -race -count=1 ./..." && \
	ORK_TIER_REPORT="$$report" $(GO) test -race -count=1 ./...; status=$$?; \
	tiers=$$(sort -u "$$report" | paste -sd '|' - | sed 's/|/; /g'); \
	if [ $$status -eq 0 ]; then result=passed; else result=FAILED; fi; \
	echo "make test: $$result; unit and CLI tests ran; $${tiers:-no tier report (pkg/cli not tested)}"; \
	exit $$status

## test-integration: the cluster tier: etcd and kube-apiserver v1.32 on 127.0.0.1
## (built from the Go module proxy on first use), ork plan --against cluster
## and ork-runtime end to end
test-integration:
	bash .ci/kube-test.sh

## registry: install docker-registry and the oras CLI for the OCI tier of make test
registry:
	bash .ci/registry.sh

## bench: Go benchmarks and the generate workload at four sizes, cold and warm
## (ork against helm template and cue export in the same run; helm and cue are
## installed from the Go module proxy into the user cache directory), and the
## instructions of a cold build and of helm's loop (with valgrind installed)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./pkg/merge ./pkg/bundle ./pkg/schema ./pkg/compose
	$(GO) test -run '^$$' -bench 'Generate' -benchtime 5x -timeout 60m -v ./pkg/workload
	$(GO) test -run '^$$' -bench 'Instructions' -benchtime 1x -timeout 60m -v ./pkg/workload
	$(GO) test -run '^$$' -bench 'GitSource' -benchtime 7x -v ./pkg/workload
	$(GO) test -run '^$$' -bench Plan -benchtime 20x -v ./pkg/workload
	$(GO) test -run '^$$' -bench BenchmarkOCI -benchtime 15x ./pkg/cli
	bash .ci/kube-bench.sh

# Every fuzz target, as PACKAGE:Target.
FUZZ_TARGETS := ./pkg/manifest:FuzzDecode ./pkg/merge:FuzzPatch ./pkg/komposer:FuzzParse ./pkg/compose:FuzzKept ./pkg/codec:FuzzReadValue \
	./pkg/bundle:FuzzLoad ./pkg/bundle:FuzzEncodeRoundTrip ./pkg/bundle:FuzzWriter ./pkg/lock:FuzzParse \
	./pkg/plan:FuzzCompare ./pkg/plan:FuzzLive ./pkg/plan:FuzzMask \
	./pkg/source/oci:FuzzParse ./pkg/source/oci:FuzzReadArchive ./pkg/source/oci:FuzzParseImage \
	./pkg/manifest:FuzzDecodeParts ./pkg/manifest:FuzzDecodeKnown ./pkg/compose:FuzzParseFieldPath ./pkg/orkestra:FuzzCheck ./pkg/runtime/inventory:FuzzParseInventory
FUZZLONG  ?= 10m

## fuzz: run each fuzz target for FUZZTIME, one after the other; seeds live in testdata/fuzz
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; echo "== $$fn ($$pkg), $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

## fuzz-long: every fuzz target for FUZZLONG (10m) each, one worker per target and
## as many targets at once as there are cores (about 100 minutes on 2 cores); ends
## with each target's executions, and fails if any target found a crasher
fuzz-long:
	FUZZLONG=$(FUZZLONG) GO=$(GO) bash .ci/fuzz-long.sh $(FUZZ_TARGETS)

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
	rm -f ork ork-runtime
	rm -rf oci
