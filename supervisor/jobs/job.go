package jobs

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// The states of a job. Succeeded, Failed and Cancelled are final.
const (
	Queued    = "queued"
	Running   = "running"
	Succeeded = "succeeded"
	Failed    = "failed"
	Cancelled = "cancelled"
)

// The states of a callback delivery. Delivered and Undeliverable are final.
const (
	DeliveryPending       = "pending"
	DeliveryDelivered     = "delivered"
	DeliveryUndeliverable = "undeliverable"
)

// Errors a caller acts on.
var (
	// ErrNotFound: no job has this id (or it was purged).
	ErrNotFound = errors.New("no such job")
	// ErrQueueFull: max_queued jobs wait already.
	ErrQueueFull = errors.New("too many asynchronous jobs queued")
	// ErrFinished: the job reached a final state and cannot be cancelled.
	ErrFinished = errors.New("the job has already finished")
	// ErrClosed: the manager is shutting down.
	ErrClosed = errors.New("the job queue is shutting down")
)

// Final reports whether state is a final state of a job.
func Final(state string) bool {
	return state == Succeeded || state == Failed || state == Cancelled
}

// Job is what GET /v1/jobs/{id} shows of a job.
type Job struct {
	ID string `json:"request_id"`
	// Algorithm is "owner/name"; Version the version that serves it,
	// resolved when the job was submitted.
	Algorithm string `json:"algorithm"`
	Version   string `json:"version"`
	State     string `json:"state"`
	// Attempts counts the runs started; more than one means a crash or a
	// shutdown interrupted an earlier run, which then ran again.
	Attempts    int        `json:"attempts"`
	SubmittedAt time.Time  `json:"submitted_at"`
	StartedAt   *time.Time `json:"started_at,omitempty"`
	FinishedAt  *time.Time `json:"finished_at,omitempty"`
	// Response is the envelope a synchronous call would have returned,
	// once the job succeeded or failed.
	Response json.RawMessage `json:"response,omitempty"`
	// Callback is the delivery of Response, when the job has a callback.
	Callback *Delivery `json:"callback,omitempty"`
}

// Delivery is a job's callback and its log.
type Delivery struct {
	URL string `json:"url"`
	// State is empty until the job finishes, then pending, delivered or
	// undeliverable. A cancelled job's callback is not called.
	State string `json:"state,omitempty"`
	// NextAttemptAt is when the next try is due, while pending.
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	Attempts      []Try      `json:"attempts,omitempty"`
}

// Try is one delivery attempt.
type Try struct {
	At time.Time `json:"at"`
	// Status is the receiver's HTTP status, 0 when it did not answer.
	Status int    `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Request is what a job runs, as the API decoded it.
type Request struct {
	// ID is the job's request id, set by the manager (Submit ignores it).
	ID                 string
	Algorithm, Version string
	// Input is the runner's stdin line.
	Input []byte
	// Timeout bounds the run, counted from its start; Stdout asks for
	// metadata.stdout.
	Timeout time.Duration
	Stdout  bool
	// CallbackURL receives the envelope; "" for none.
	CallbackURL string
	// Header holds the request's X-* headers, forwarded to the callback.
	Header http.Header
	// IdempotencyKey, when set, makes a resubmission with the same key
	// return the first job's id.
	IdempotencyKey string
}

// Outcome is the end of a run.
type Outcome struct {
	// Envelope is the response a synchronous call would have returned.
	Envelope []byte
	// Succeeded is false when the algorithm raised, crashed or timed out.
	Succeeded bool
}

// RetryLater is the error of a run that could not start (the pool is full,
// the algorithm is loading): the job waits in the queue for After.
type RetryLater struct {
	After  time.Duration
	Reason string
}

func (e *RetryLater) Error() string { return "retry later: " + e.Reason }

// CallbackConfig is an algorithm's callback block.
type CallbackConfig struct {
	// URL is the default callback when a request names none.
	URL string
	// Secret, when set, signs each delivery (callback.SignatureHeader).
	Secret string
	// MaxAttempts bounds the tries; at least 1.
	MaxAttempts int
}

// record is a job as stored: what is shown, and what it runs.
type record struct {
	Job
	Input          []byte        `json:"input"`
	Timeout        time.Duration `json:"timeout"`
	Stdout         bool          `json:"stdout,omitempty"`
	Header         http.Header   `json:"header,omitempty"`
	IdempotencyKey string        `json:"idempotency_key,omitempty"`
}

func (r *record) request() *Request {
	req := &Request{ID: r.ID, Algorithm: r.Algorithm, Version: r.Version, Input: r.Input, Timeout: r.Timeout,
		Stdout: r.Stdout, Header: r.Header, IdempotencyKey: r.IdempotencyKey}
	if r.Callback != nil {
		req.CallbackURL = r.Callback.URL
	}
	return req
}
