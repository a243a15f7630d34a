// Package callback delivers a finished request's envelope to a URL by
// HTTP POST, retrying on failure, with the original request's X-* headers.
package callback
