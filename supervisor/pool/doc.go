// Package pool keeps the runners of one algorithm version: it starts them
// through the algorithm's LangPack adapter, keeps Min warm, starts more on
// demand up to Max and retires idle ones, hands each request to an idle
// runner (queueing a bounded number of callers), replaces runners that die,
// time out or break the protocol (backing off when they keep crashing),
// answers at once while the algorithm cannot load, and drains when a newer
// configuration replaces it.
package pool
