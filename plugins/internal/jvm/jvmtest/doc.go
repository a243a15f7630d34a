// Package jvmtest holds the checks the Java and Scala adapters' tests share:
// a runner against the conformance example and a broken copy of it, and the
// message for a missing runtime. Run runs them all from a Suite.
package jvmtest
