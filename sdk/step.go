package sdk

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// maxStepLine bounds one line of build or test output; longer lines are
// split.
const maxStepLine = 64 * 1024

// RunStep runs cmd as a build or test step: each line it prints goes to out
// as it arrives, and its exit status becomes the StepResult. The command
// runs in its own process group, which is killed when ctx is done. A command
// that cannot start is an error; one that fails is a non-zero ExitCode.
func RunStep(ctx context.Context, cmd *exec.Cmd, out OutputFunc) (*StepResult, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	stop := context.AfterFunc(ctx, func() { _ = cmd.Cancel() })
	defer stop()
	var mu sync.Mutex
	emit := func(l OutputLine) {
		if out != nil {
			mu.Lock()
			defer mu.Unlock()
			out(l)
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { scanLines(stdout, Stdout, emit) })
	wg.Go(func() { scanLines(stderr, Stderr, emit) })
	wg.Wait()
	err = cmd.Wait()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return &StepResult{}, nil
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%s: %w", cmd.Path, ctx.Err())
	case errors.As(err, &exitErr):
		code := exitErr.ExitCode()
		return &StepResult{ExitCode: code, Message: fmt.Sprintf("%s exited with code %d", cmd.Args[0], code)}, nil
	}
	return nil, err
}

func scanLines(r io.Reader, stream Stream, emit func(OutputLine)) {
	br := bufio.NewReaderSize(r, maxStepLine)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			text := append([]byte(nil), line...)
			if text[len(text)-1] == '\n' {
				text = text[:len(text)-1]
			}
			emit(OutputLine{Stream: stream, Text: text})
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}
