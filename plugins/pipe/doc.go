// Command langpack-pipe is the generic LangPack adapter: it serves any
// algorithm folder whose own executable bin/pipe speaks the runner
// contract, the way the original LangServer ran every language. bin/build
// and bin/test, when present, are its build and test steps.
package main
