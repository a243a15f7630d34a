// Package cli holds the langserver command line: one cobra command per
// verb, each handing off to the package that does the work.
package cli
