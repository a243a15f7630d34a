// Package api serves the Algorithmia algorithm API (PROTOCOL.md §2b) over
// the pools of many algorithms: POST /v1/algo/{owner}/{name}[/{version}],
// GET /v1/algorithms, /healthz and /readyz.
package api
