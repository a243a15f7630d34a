// Package input turns an HTTP request body into the one JSON line a runner
// reads on stdin, validating it once so that nothing undecodable ever
// reaches a runner.
package input
