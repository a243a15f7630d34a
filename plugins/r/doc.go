// Command langpack-r is the R LangPack adapter: it finds Rscript, checks that
// the packages an algorithm's packages.txt names are installed (Debian's
// r-cran-*) and installs the package archives it ships, runs its testthat
// tests, scaffolds new algorithms, and runs them with the runner from
// langpacks/r.
package main
