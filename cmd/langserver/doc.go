// Command langserver serves algorithms written in many languages behind one
// HTTP API. Its main stays small and hands off to supervisor/cli.
package main
