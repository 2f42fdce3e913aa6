// Package integration holds the tests that run albctl against moto, an AWS emulator nobody
// here wrote, through the real aws-sdk-go-v2 clients over HTTP: seed a world into moto, plan
// and apply the example specs, snapshot the result, and compare with the simulator.
//
// The tests need ALBCTL_MOTO_ENDPOINT (scripts/test.sh starts moto and sets it; so does
// `make e2e-docker` with compose.yaml). Without it they skip, except under CI=true, where
// they fail. They share one moto server and reset it, so they all live in this one package:
// go test runs the tests of a package one at a time, and no other package uses moto.
package integration
