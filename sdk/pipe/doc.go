// Package pipe drives a runner process over the stdin/FIFO contract (the
// LangPack bin/pipe contract of the original Algorithmia langserver): the
// runner is started with ALGOOUT naming a FIFO, announces readiness with a
// stdout line containing PIPE_INIT_COMPLETE, then reads one compact JSON
// request per line on stdin and answers each with one JSON object on the
// FIFO, while whatever it prints on stdout and stderr is captured per request.
//
// A Runner serves one request at a time:
//
//	r, err := pipe.Start(ctx, pipe.Config{Command: []string{"bin/pipe"}, Dir: algoRoot})
//	if err != nil {
//		return err // a *LoadError when the runner failed to load
//	}
//	defer r.Stop(context.Background())
//	resp, err := r.Call(ctx, []byte(`{"content_type":"text","data":"hi"}`), nil)
//
// Call returns a *Response (the runner's result or its AlgorithmError, with
// the captured output), or an error: *ExitError when the runner died during
// the request, *FaultError when it wrote something else than a valid response
// on its FIFO, *CanceledError when ctx ended first, ErrStopped when the runner
// is already gone. After an ExitError, FaultError or CanceledError the runner
// is dead and must be replaced.
//
// The runner is started in its own process group with a parent-death signal,
// and the whole group is killed when the runner ends, so no grandchild
// survives it. Its stdout, stderr and FIFO are read all the time, each by
// its own goroutine, so the runner never blocks on a full pipe; before a
// response completes a request, stdout and stderr are emptied, so everything
// the runner printed before writing its response belongs to that response.
package pipe
