package simserve

// ConnRetryer is connRetryer for the external tests of this package (conformance_test.go).
var ConnRetryer = connRetryer
