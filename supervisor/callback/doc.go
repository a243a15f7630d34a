// Package callback delivers a finished request's envelope to a URL by
// HTTP POST, with the original request's X-* headers: one try (Attempt),
// or tries until one succeeds (Deliver) under a Policy of fixed or
// exponential, jittered waits that honour a receiver's Retry-After. Sign
// computes the HMAC-SHA256 signature header. `langserver run` delivers
// with Deliver and the Original policy; the jobs package persists each
// try between Attempts.
package callback
