package sdk

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// collector gathers the lines RunStep reports, per stream.
type collector struct {
	mu    sync.Mutex
	lines map[Stream][]string
}

func (c *collector) out(l OutputLine) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lines == nil {
		c.lines = map[Stream][]string{}
	}
	c.lines[l.Stream] = append(c.lines[l.Stream], string(l.Text))
}

func (c *collector) get() map[Stream][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lines
}

func TestRunStep(t *testing.T) {
	tests := []struct {
		name      string
		script    string
		want      *StepResult
		wantLines map[Stream][]string
	}{
		{
			name:   "lines from both streams",
			script: `echo out1; echo err1 >&2; echo out2; printf 'no newline at end'; printf 'err2\n\n' >&2`,
			want:   &StepResult{},
			wantLines: map[Stream][]string{
				Stdout: {"out1", "out2", "no newline at end"},
				Stderr: {"err1", "err2", ""},
			},
		},
		{
			name:      "carriage returns and bytes are kept",
			script:    `printf 'a\r\nb\tc\n'`,
			want:      &StepResult{},
			wantLines: map[Stream][]string{Stdout: {"a\r", "b\tc"}},
		},
		{
			name:      "exit status 3",
			script:    `echo failing >&2; exit 3`,
			want:      &StepResult{ExitCode: 3, Message: "sh exited with code 3"},
			wantLines: map[Stream][]string{Stderr: {"failing"}},
		},
		{
			name:   "silent success",
			script: `true`,
			want:   &StepResult{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			var c collector
			got, err := RunStep(ctx, exec.CommandContext(ctx, "sh", "-c", tt.script), c.out)
			if err != nil {
				t.Fatalf("RunStep: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("StepResult mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantLines, c.get()); diff != "" {
				t.Errorf("output mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRunStepNilOutput(t *testing.T) {
	ctx := context.Background()
	got, err := RunStep(ctx, exec.CommandContext(ctx, "sh", "-c", "echo ignored; echo ignored >&2; exit 2"), nil)
	if err != nil {
		t.Fatalf("RunStep: %v", err)
	}
	if diff := cmp.Diff(&StepResult{ExitCode: 2, Message: "sh exited with code 2"}, got); diff != "" {
		t.Errorf("StepResult mismatch (-want +got):\n%s", diff)
	}
}

func TestRunStepLongLine(t *testing.T) {
	const n = maxStepLine + 4000
	ctx := context.Background()
	var c collector
	cmd := exec.CommandContext(ctx, "sh", "-c", "head -c "+strconv.Itoa(n)+" /dev/zero | tr '\\0' a; echo; echo next")
	if _, err := RunStep(ctx, cmd, c.out); err != nil {
		t.Fatalf("RunStep: %v", err)
	}
	lines := c.get()[Stdout]
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want the long line split in two and then %q", len(lines), "next")
	}
	if len(lines[0]) != maxStepLine {
		t.Errorf("first part has %d bytes, want %d", len(lines[0]), maxStepLine)
	}
	if joined := lines[0] + lines[1]; joined != strings.Repeat("a", n) {
		t.Errorf("parts rejoin to %d bytes, want %d a's", len(joined), n)
	}
	if lines[2] != "next" {
		t.Errorf("last line = %q, want next", lines[2])
	}
}

func TestRunStepOwnProcessGroup(t *testing.T) {
	ctx := context.Background()
	var c collector
	// Fields 1 and 5 of /proc/<pid>/stat are the pid and process group.
	cmd := exec.CommandContext(ctx, "sh", "-c", `read -r pid comm state ppid pgrp rest < /proc/$$/stat; echo "$pid $pgrp"`)
	if _, err := RunStep(ctx, cmd, c.out); err != nil {
		t.Fatalf("RunStep: %v", err)
	}
	lines := c.get()[Stdout]
	if len(lines) != 1 {
		t.Fatalf("stdout = %q, want one line", lines)
	}
	pid, pgrp, _ := strings.Cut(lines[0], " ")
	if pid == "" || pid != pgrp {
		t.Errorf("step pid %q runs in process group %q, want its own group", pid, pgrp)
	}
}

func TestRunStepCancel(t *testing.T) {
	tests := []struct {
		name   string
		script string
	}{
		{"sleeping command", "echo started; exec sleep 30"},
		// sleep holds stdout: RunStep only returns once the whole process
		// group, not just sh, is killed.
		{"child in the background", "sleep 30 & echo started; wait"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			out := func(l OutputLine) {
				if l.Stream == Stdout && bytes.Equal(l.Text, []byte("started")) {
					cancel()
				}
			}
			start := time.Now()
			got, err := RunStep(ctx, exec.CommandContext(ctx, "sh", "-c", tt.script), out)
			elapsed := time.Since(start)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("RunStep = %+v, %v; want an error wrapping context.Canceled", got, err)
			}
			if got != nil {
				t.Errorf("RunStep returned a result %+v along with %v", got, err)
			}
			if elapsed > 10*time.Second {
				t.Errorf("RunStep took %v to return after cancellation", elapsed)
			}
		})
	}
	t.Run("already cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		got, err := RunStep(ctx, exec.CommandContext(ctx, "sh", "-c", "echo should not run"), nil)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("RunStep = %+v, %v; want an error wrapping context.Canceled", got, err)
		}
	})
}

func TestRunStepCannotStart(t *testing.T) {
	tests := []struct {
		name    string
		command string
		wantErr error
	}{
		{"not on PATH", "langserver-no-such-command-xyz", exec.ErrNotFound},
		{"missing path", "/nonexistent/langserver-no-such-command", fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			called := false
			got, err := RunStep(ctx, exec.CommandContext(ctx, tt.command), func(OutputLine) { called = true })
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("RunStep = %+v, %v; want an error wrapping %v", got, err, tt.wantErr)
			}
			if got != nil {
				t.Errorf("RunStep returned a result %+v", got)
			}
			if called {
				t.Error("output reported for a command that never started")
			}
		})
	}
}
