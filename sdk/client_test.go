package sdk

import (
	"context"
	"errors"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestContextErrorCoversAnEarlyDeadlineStatus(t *testing.T) {
	// The deadline has passed but ctx is not done yet, as when gRPC reports
	// the deadline before ctx's own timer has fired.
	notYet, cancel := context.WithDeadline(context.WithoutCancel(context.Background()), time.Now().Add(time.Hour))
	defer cancel()
	early := deadlineOnly{Context: notYet, deadline: time.Now().Add(-time.Millisecond)}
	deadlineStatus := status.Error(codes.DeadlineExceeded, "stream terminated by RST_STREAM with error code: CANCEL")
	if err := contextError(early, deadlineStatus); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("contextError = %v, want context.DeadlineExceeded", err)
	}
	if err := contextError(early, status.Error(codes.Unavailable, "gone")); err != nil {
		t.Errorf("contextError of another status = %v, want nil", err)
	}
	if err := contextError(notYet, deadlineStatus); err != nil {
		t.Errorf("contextError before the deadline = %v, want nil", err)
	}
}

// deadlineOnly is a context whose Deadline is given and never done.
type deadlineOnly struct {
	context.Context
	deadline time.Time
}

func (d deadlineOnly) Deadline() (time.Time, bool) { return d.deadline, true }
