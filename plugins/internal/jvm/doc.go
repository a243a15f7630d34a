// Package jvm holds what the Java and Scala LangPack adapters share: the
// algorithm folder layout, Debian's jars, class paths, compiling into
// .langserver/ when sources change, and running JUnit 4 tests.
package jvm
