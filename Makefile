# albctl — the commands a newcomer needs. `make test` is what CI runs (.ci/run).
GO ?= go
SHELL := /bin/bash

.PHONY: demo test unit lint lint-ci bench build install clean e2e-docker fuzz mutate release-snapshot

build:
	$(GO) build -o bin/albctl ./cmd/albctl

# Put albctl on your PATH: into $(go env GOBIN), else $(go env GOPATH)/bin.
install:
	$(GO) install ./cmd/albctl

# The main job: plan and apply the blog example on the built-in simulator (no AWS account).
demo:
	$(GO) run ./cmd/albctl plan examples/blog
	$(GO) run ./cmd/albctl apply -auto-approve examples/blog

# Every test, including the integration tests against moto (installed into .venv by itself).
test: lint
	./scripts/test.sh
	$(MAKE) fuzz

# The fuzz targets of the spec loader, the world loader and the saved-plan reader, each for a
# fixed budget (corpora in testdata/fuzz); FUZZTIME=5m for a longer hunt. The budget is a count
# of executions, not a duration: with a duration, Go 1.26's fuzz coordinator can report
# "context deadline exceeded" as a failure when the deadline passes while a starved worker is
# still mid-call (golang/go#75804, fixed in Go 1.27), which failed one `make test` in three
# under load. A count has no deadline to race; a loaded machine is only slower.
FUZZTIME ?= 3000x
FUZZMINIMIZE ?= 100x
fuzz:
	$(GO) test ./internal/specs -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE)
	$(GO) test ./internal/simulator -run '^$$' -fuzz '^FuzzParseWorld$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE)
	$(GO) test ./internal/planfile -run '^$$' -fuzz '^FuzzParseSavedPlan$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE)

# Only the Go tests that need nothing outside Go.
unit:
	$(GO) test ./...

# The integration suite against moto in Docker (compose.yaml), for people with Docker; CI runs
# moto from PyPI instead (make test).
e2e-docker:
	docker compose up --detach --wait moto
	ALBCTL_MOTO_ENDPOINT=http://localhost:5000 $(GO) test -count=1 ./integration/; \
	  status=$$?; docker compose stop moto; exit $$status

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@# go.mod says exactly what the code imports (a direct import is not marked indirect).
	$(GO) mod tidy -diff
	$(MAKE) lint-ci

# Release and CI tools, pinned, built with `go install` into .tools/ (gitignored) on first use.
# They are not in go.mod: albctl does not import them, and their dependencies would weigh on
# every user of the module (docs/release.md, "Tools").
ACTIONLINT_VERSION := v1.7.12
GORELEASER_VERSION := v2.17.0
ACTIONLINT := .tools/actionlint-$(ACTIONLINT_VERSION)/actionlint
GORELEASER := .tools/goreleaser-$(GORELEASER_VERSION)/goreleaser

$(ACTIONLINT):
	GOBIN=$(CURDIR)/$(@D) $(GO) install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

# goreleaser takes minutes to compile, so only release-snapshot needs it; `go test` checks
# .goreleaser.yaml's structure (cmd/albctl/release_test.go).
$(GORELEASER):
	GOBIN=$(CURDIR)/$(@D) $(GO) install github.com/goreleaser/goreleaser/v2@$(GORELEASER_VERSION)

# The workflows (examples/ci, .github/workflows) through actionlint, which also runs
# shellcheck on their run: scripts, and the composite action's scripts through shellcheck.
# shellcheck comes from Debian; under CI=true it is installed when missing, elsewhere a
# missing shellcheck is said and skipped.
lint-ci: $(ACTIONLINT)
	@if ! command -v shellcheck >/dev/null && [ "$${CI:-}" = "true" ]; then \
	  apt-get update -qq && apt-get install -y -qq shellcheck >/dev/null; fi
	$(ACTIONLINT) examples/ci/*.yml .github/workflows/*.yml
	@if command -v shellcheck >/dev/null; then \
	  echo "shellcheck -x action/*.sh scripts/check-release.sh"; \
	  shellcheck -x action/*.sh scripts/check-release.sh; \
	else echo "lint-ci: shellcheck is not installed (apt-get install shellcheck); skipped"; fi

# A release rehearsed locally: goreleaser's own check of .goreleaser.yaml, the archives and
# checksums.txt in dist/ without publishing anything, then scripts/check-release.sh on them
# (docs/release.md).
release-snapshot: $(GORELEASER)
	$(GORELEASER) check
	$(GORELEASER) release --snapshot --clean
	./scripts/check-release.sh dist

# Plan and apply cost against fleet size; rewrites docs/benchmarks.md with the figures and the machine
# (and, where moto can be installed, plans through the SDK against it).
bench:
	./scripts/bench.sh

# Mutation testing (go-gremlins) of plan, engine, cloud and simulator: efficacy per package.
# Not part of `make test`; docs/testing.md has the scores and how to read them.
mutate:
	./scripts/mutate.sh

clean:
	rm -rf bin .venv dist
