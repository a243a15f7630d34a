package sdk

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
)

// maxStepLine bounds one line of build or test output; longer lines are
// split.
const maxStepLine = 64 * 1024

// RunStep runs cmd (made with exec.Command, not yet started) as a build or
// test step: each line it prints goes to out as it arrives, and its exit
// status becomes the StepResult. The command runs in its own process group,
// which is killed when ctx is done, and also once the command exits, so no
// background process it left behind outlives the step. A command that
// cannot start is an error; one that fails is a non-zero ExitCode.
func RunStep(ctx context.Context, cmd *exec.Cmd, out OutputFunc) (*StepResult, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stdoutR, stdoutW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer stdoutR.Close()
	stderrR, stderrW, err := os.Pipe()
	if err != nil {
		stdoutW.Close()
		return nil, err
	}
	defer stderrR.Close()
	cmd.Stdout, cmd.Stderr = stdoutW, stderrW
	err = cmd.Start()
	stdoutW.Close()
	stderrW.Close()
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	killGroup := func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	stop := context.AfterFunc(ctx, killGroup)
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
	wg.Go(func() { scanLines(stdoutR, Stdout, emit) })
	wg.Go(func() { scanLines(stderrR, Stderr, emit) })
	err = cmd.Wait()
	killGroup()
	wg.Wait()
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
