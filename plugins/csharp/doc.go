// Command langpack-csharp is the C# LangPack adapter: it finds Mono, compiles
// an algorithm's src/ with mcs next to the runner from langpacks/csharp, runs
// its NUnit tests with nunit-console, and scaffolds new algorithms.
package main
