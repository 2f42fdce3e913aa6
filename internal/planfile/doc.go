// Package planfile writes, reads and verifies albctl's saved plans (plan -out, apply FILE,
// show FILE): the format with its checksum, the hashes of the spec and var files a plan was
// computed from, the checks that refuse a stale or edited plan, and the world diff that says
// what changed since the plan was made. It decides nothing about where requests go: the
// command compares the recorded target with its own (docs/security.md, "Saved plans").
//
// Everything a message quotes from a plan file is the file's word, so it is quoted in short,
// printable excerpts: a forged field may be hundreds of megabytes long.
package planfile
