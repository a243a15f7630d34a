// Package api serves the Algorithmia algorithm API (PROTOCOL.md §2b) over
// the pools of many algorithms: POST /v1/algo/{owner}/{name}[/{version}],
// GET /v1/algorithms, /healthz and /readyz. Calls with output=void become
// jobs of the jobs package, which JobExecutor runs on the same pools and
// GET /v1/jobs[/{id}] and DELETE /v1/jobs/{id} show and cancel.
package api
