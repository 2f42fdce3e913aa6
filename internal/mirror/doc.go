// Package mirror copies a topology between a simulator world file and an AWS-API endpoint
// (moto, LocalStack, or an AWS account): Seed creates in an endpoint what a world describes,
// and Snapshot reads what an endpoint holds into a world that the simulator loads.
//
// Endpoints hand out their own IDs, so Seed returns the mapping from the world's IDs to the
// endpoint's; specs name things by Name tag and name, never by ID, so the same spec plans on
// both. Seed finds before it creates (by CIDR, name, ClientToken), so running it twice
// creates nothing twice. Snapshot only reads (Describe and List calls) and sorts everything,
// so the same account state gives the same world file, byte for byte.
//
// This package must not plan or apply: it copies resources, and decides nothing about them.
// The interfaces it needs are declared here, shaped like the aws-sdk-go-v2 client methods.
package mirror
