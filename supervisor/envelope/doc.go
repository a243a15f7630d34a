// Package envelope writes the JSON bodies of the HTTP APIs: results,
// algorithm errors and platform errors, splicing the runner's result JSON
// in verbatim rather than decoding and re-encoding it.
package envelope
