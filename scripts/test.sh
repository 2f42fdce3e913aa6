#!/usr/bin/env bash
# Runs the whole test suite. Later stages (moto) hook in here so that `make test` and CI run
# exactly the same thing.
set -euo pipefail
cd "$(dirname "$0")/.."
go test -count=1 ./...
