package sdk

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"testing"
)

func TestRunTool(t *testing.T) {
	ctx := context.Background()
	if err := RunTool(ctx, exec.Command("sh", "-c", "echo fine"), nil); err != nil {
		t.Errorf("a tool that succeeds: %v", err)
	}

	var c collector
	err := RunTool(ctx, exec.Command("sh", "-c", "echo one >&2; echo two >&2; exit 3"), c.out)
	var failed *StepError
	if !errors.As(err, &failed) || failed.Result.ExitCode != 3 || string(failed.Output) != "one\ntwo\n" {
		t.Fatalf("a tool that fails: %#v", err)
	}
	if want := "sh exited with code 3:\none\ntwo"; err.Error() != want {
		t.Errorf("error %q, want %q", err.Error(), want)
	}
	if got := c.get(); len(got[Stderr]) != 2 {
		t.Errorf("lines passed on: %v", got)
	}

	if err := RunTool(ctx, exec.Command("langserver-no-such-command-xyz"), nil); err == nil || errors.As(err, &failed) {
		t.Errorf("a tool that cannot start: %v; want an error that is not a StepError", err)
	}
}

func TestStepOutcome(t *testing.T) {
	failed := &StepError{Result: &StepResult{ExitCode: 2, Message: "mcs exited with code 2"}}
	if res, err := StepOutcome(fmt.Errorf("compiling: %w", failed)); err != nil || res != failed.Result {
		t.Errorf("a failed step: %+v, %v; want its result", res, err)
	}
	other := errors.New("disk full")
	if res, err := StepOutcome(other); res != nil || err != other {
		t.Errorf("another error: %+v, %v; want the error", res, err)
	}
	if (&StepError{Result: &StepResult{Message: "no sources"}}).Error() != "no sources" {
		t.Error("a StepError without output: its message alone")
	}
}
