// Command langpack-rust is the Rust LangPack adapter: it finds cargo, builds
// an algorithm's library crate offline against Debian's packaged crates
// together with the runner crate from langpacks/rust, runs its tests with
// cargo test, and scaffolds new algorithms.
package main
