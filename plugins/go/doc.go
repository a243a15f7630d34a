// Command langpack-go is the Go LangPack adapter: it finds the go command,
// compiles an algorithm's package src/ together with the runner from
// langpacks/go into one binary, runs its tests with go test, and scaffolds
// new algorithms.
package main
