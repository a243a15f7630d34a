// Command langpack-java is the Java LangPack adapter: it finds the JDK,
// compiles an algorithm's src/main/java (with the jars in its lib/) into
// .langserver/classes, runs its JUnit 4 tests, scaffolds new algorithms, and
// runs them with the runner from langpacks/java.
package main
