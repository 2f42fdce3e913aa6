# albctl — the commands a newcomer needs. `make test` is what CI runs (.ci/run).
GO ?= go
SHELL := /bin/bash

.PHONY: demo test unit lint bench build install clean e2e-docker fuzz mutate

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
# fixed budget (corpora in testdata/fuzz); FUZZTIME=5m for a longer hunt.
FUZZTIME ?= 8s
fuzz:
	$(GO) test ./internal/specs -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s
	$(GO) test ./internal/simulator -run '^$$' -fuzz '^FuzzParseWorld$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s
	$(GO) test ./internal/planfile -run '^$$' -fuzz '^FuzzParseSavedPlan$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s

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

# Plan and apply cost against fleet size; rewrites docs/benchmarks.md with the figures and the machine
# (and, where moto can be installed, plans through the SDK against it).
bench:
	./scripts/bench.sh

# Mutation testing (go-gremlins) of plan, engine, cloud and simulator: efficacy per package.
# Not part of `make test`; docs/testing.md has the scores and how to read them.
mutate:
	./scripts/mutate.sh

clean:
	rm -rf bin .venv
