package sdk

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/protobuf/proto"

	"github.com/langserver/langserver/sdk/internal/langpackpb"
	"github.com/langserver/langserver/sdk/pipe"
)

// CapFastCall: the adapter also serves Call on the unix socket named in
// InfoResponse.FastCallSocket. Serve provides it to every Go adapter.
const CapFastCall = "fast-call"

// adapterDirPrefix starts the name of an adapter's private folder.
const adapterDirPrefix = "langserver-adapter-"

// maxFrame bounds one fast-call frame, and so one request or result.
const maxFrame = 256 << 20

// fastCallGrace is how much later than the host the adapter enforces a
// call's deadline.
const fastCallGrace = time.Second

func writeFrame(w io.Writer, m proto.Message) error {
	size := proto.Size(m)
	if size > maxFrame {
		return fmt.Errorf("fast-call frame of %d bytes exceeds the %d limit", size, maxFrame)
	}
	buf := make([]byte, 4, 4+size)
	binary.BigEndian.PutUint32(buf, uint32(size))
	buf, err := proto.MarshalOptions{}.MarshalAppend(buf, m)
	if err != nil {
		return err
	}
	_, err = w.Write(buf)
	return err
}

func readFrame(r *bufio.Reader, m proto.Message) error {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return err
	}
	size := binary.BigEndian.Uint32(head[:])
	if size > maxFrame {
		return fmt.Errorf("fast-call frame of %d bytes exceeds the %d limit", size, maxFrame)
	}
	buf := make([]byte, size)
	if _, err := io.ReadFull(r, buf); err != nil {
		return err
	}
	return proto.Unmarshal(buf, m)
}

// fastServer serves Call on a unix socket for the host's hot path.
type fastServer struct {
	impl     LangPack
	logger   hclog.Logger
	dir      string
	dirLock  *os.File
	listener net.Listener
}

// listenFast opens the fast-call socket in a private folder.
func listenFast(impl LangPack, logger hclog.Logger) (*fastServer, error) {
	dir, lock, err := pipe.MakeOwnedTempDir(adapterDirPrefix)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("unix", filepath.Join(dir, "call.sock"))
	if err != nil {
		os.RemoveAll(dir)
		lock.Close()
		return nil, err
	}
	s := &fastServer{impl: impl, logger: logger, dir: dir, dirLock: lock, listener: l}
	go s.serve()
	return s, nil
}

func (s *fastServer) path() string { return s.listener.Addr().String() }

func (s *fastServer) close() {
	s.listener.Close()
	os.RemoveAll(s.dir)
	s.dirLock.Close()
}

func (s *fastServer) serve() {
	for {
		conn, err := s.listener.Accept()
		if err != nil {
			return
		}
		go s.handle(conn)
	}
}

// handle serves the calls of one connection in turn. A reader goroutine
// waits for the next request meanwhile, so the host closing the
// connection cancels the call in flight.
func (s *fastServer) handle(conn net.Conn) {
	defer conn.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	requests := make(chan *langpackpb.CallRequest)
	go func() {
		defer cancel()
		defer close(requests)
		r := bufio.NewReader(conn)
		for {
			req := &langpackpb.CallRequest{}
			if err := readFrame(r, req); err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
					s.logger.Warn("fast-call connection", "error", err)
				}
				return
			}
			select {
			case requests <- req:
			case <-ctx.Done():
				return
			}
		}
	}()
	w := &frameWriter{w: conn}
	for req := range requests {
		if err := s.call(ctx, req, w); err != nil {
			return
		}
	}
}

func (s *fastServer) call(ctx context.Context, req *langpackpb.CallRequest, w *frameWriter) error {
	if ms := req.GetTimeoutMs(); ms > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(ms)*time.Millisecond)
		defer cancel()
	}
	var out OutputFunc
	if req.GetStreamOutput() {
		out = func(l OutputLine) {
			_ = w.write(&langpackpb.CallEvent{Event: &langpackpb.CallEvent_Output{Output: lineToProto(l)}})
		}
	}
	resp, err := s.impl.Call(ctx, &CallRequest{RunnerID: req.GetRunnerId(), Input: req.GetInput(), StreamOutput: req.GetStreamOutput()}, out)
	if err != nil {
		return w.write(&langpackpb.CallEvent{Event: &langpackpb.CallEvent_Error{Error: &langpackpb.CallError{
			Message: err.Error(), UnknownRunner: errors.Is(err, ErrUnknownRunner),
		}}})
	}
	return w.write(&langpackpb.CallEvent{Event: &langpackpb.CallEvent_Result{Result: callResultToProto(resp)}})
}

// frameWriter serialises frames from the output callback and the handler.
type frameWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (f *frameWriter) write(m proto.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return writeFrame(f.w, m)
}

// fastClient makes calls over an adapter's fast-call socket, keeping idle
// connections for reuse.
type fastClient struct {
	path string

	mu   sync.Mutex
	idle []*fastConn
}

type fastConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *fastClient) get() (*fastConn, error) {
	c.mu.Lock()
	if n := len(c.idle); n > 0 {
		conn := c.idle[n-1]
		c.idle = c.idle[:n-1]
		c.mu.Unlock()
		return conn, nil
	}
	c.mu.Unlock()
	conn, err := net.Dial("unix", c.path)
	if err != nil {
		return nil, err
	}
	return &fastConn{Conn: conn, r: bufio.NewReaderSize(conn, 64<<10)}, nil
}

func (c *fastClient) put(conn *fastConn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.idle = append(c.idle, conn)
}

func (c *fastClient) call(ctx context.Context, req *CallRequest, out OutputFunc) (*CallResponse, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	conn, err := c.get()
	if err != nil {
		return nil, fmt.Errorf("connecting to the adapter's fast-call socket: %w", err)
	}
	pb := &langpackpb.CallRequest{RunnerId: req.RunnerID, Input: req.Input, StreamOutput: req.StreamOutput}
	// The host's deadline closes the connection, which cancels the call as
	// a gRPC deadline would; the adapter's own limit, a little later, is a
	// backstop should the close be lost.
	if deadline, ok := ctx.Deadline(); ok {
		pb.TimeoutMs = time.Until(deadline).Milliseconds() + fastCallGrace.Milliseconds()
	}
	// Closing the connection is how a call is cancelled.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	resp, err := c.exchange(conn, pb, out)
	if !stop() || err != nil {
		conn.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return resp, err
	}
	c.put(conn)
	return resp, nil
}

func (c *fastClient) exchange(conn *fastConn, req *langpackpb.CallRequest, out OutputFunc) (*CallResponse, error) {
	if err := writeFrame(conn, req); err != nil {
		return nil, fmt.Errorf("sending the call to the adapter: %w", err)
	}
	for {
		ev := &langpackpb.CallEvent{}
		if err := readFrame(conn.r, ev); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, errors.New("the adapter closed the connection during the call")
			}
			return nil, fmt.Errorf("reading the call's answer from the adapter: %w", err)
		}
		switch e := ev.GetEvent().(type) {
		case *langpackpb.CallEvent_Output:
			if out != nil {
				out(lineFromProto(e.Output))
			}
		case *langpackpb.CallEvent_Result:
			return callResultFromProto(e.Result), nil
		case *langpackpb.CallEvent_Error:
			if e.Error.GetUnknownRunner() {
				return nil, fmt.Errorf("%w: %s", ErrUnknownRunner, e.Error.GetMessage())
			}
			return nil, errors.New(e.Error.GetMessage())
		}
	}
}

// closeIdle closes the idle connections.
func (c *fastClient) closeIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, conn := range c.idle {
		conn.Close()
	}
	c.idle = nil
}
