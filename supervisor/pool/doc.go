// Package pool keeps the warm runners of one algorithm version: it starts
// them through the algorithm's LangPack adapter, hands each request to an
// idle runner (queueing a bounded number of callers), replaces runners that
// die, time out or break the protocol, and backs off when the algorithm
// cannot load.
package pool
