// Command langpack-scala is the Scala LangPack adapter: it finds scalac and
// java, compiles an algorithm's src/main/scala (with the jars in its lib/)
// into .langserver/classes, runs its JUnit 4 tests, scaffolds new
// algorithms, and runs them with the runner from langpacks/scala.
package main
