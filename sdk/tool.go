package sdk

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
)

// StepError is a command that ran and failed, as RunTool reports it: the
// StepResult RunStep made of its exit, and what it printed.
type StepError struct {
	Result *StepResult
	// Output is the command's stdout and stderr, merged line by line in
	// the order they arrived.
	Output []byte
}

// Error returns the result's message followed, on the next lines, by the
// command's output, so that an error shown to people (a runner's load
// failure) carries the compiler's complaint.
func (e *StepError) Error() string {
	output := strings.TrimRight(string(e.Output), "\n")
	if output == "" {
		return e.Result.Message
	}
	return e.Result.Message + ":\n" + output
}

// RunTool runs cmd (made with exec.Command, not yet started) through
// RunStep, each line going to out (which may be nil) as it arrives, and
// returns a *StepError when it exits non-zero: the tool a step or a runner
// start depends on (a compiler, a package manager). It keeps everything the
// command prints, for the error. A build step made of several tools runs
// each with RunTool and turns the first error into its result with
// StepOutcome.
func RunTool(ctx context.Context, cmd *exec.Cmd, out OutputFunc) error {
	// RunStep calls this from one goroutine at a time.
	var printed bytes.Buffer
	res, err := RunStep(ctx, cmd, func(l OutputLine) {
		printed.Write(l.Text)
		printed.WriteByte('\n')
		if out != nil {
			out(l)
		}
	})
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		return &StepError{Result: res, Output: printed.Bytes()}
	}
	return nil
}

// StepOutcome turns the error of a build or test step into the step's
// outcome: a *StepError (anywhere in err's chain) is a failed step, its
// Result, not an error; any other error stays one. Call it with a non-nil
// err: success has no result to return.
func StepOutcome(err error) (*StepResult, error) {
	var failed *StepError
	if errors.As(err, &failed) {
		return failed.Result, nil
	}
	return nil, err
}
