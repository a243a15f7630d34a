// Package e2e holds the end-to-end tests and benchmarks: they build the real
// langserver binary and adapters, start them against real language runtimes
// and talk to them over real HTTP.
package e2e
