// Package adapters finds LangPack adapter executables, launches them
// through the SDK, negotiates the API version, and picks the LangPack that
// serves an algorithm.
package adapters
