package cli

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/langserver/langserver/supervisor/adapters"
	"github.com/langserver/langserver/supervisor/standalone"
	"github.com/langserver/langserver/supervisor/units"
)

type runFlags struct {
	listen              string
	langpack            string
	legacyFIFO          bool
	exitOnRunnerFailure bool
	loadTimeout         time.Duration
	maxBody             string
	maxOutput           string
}

func newRunCommand(g *globals) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run <algorithm-dir|algorithm.zip>",
		Short: "Serve one algorithm the way the original Algorithmia LangServer did",
		Long: `Serve one algorithm folder (or algorithm.zip) on one port: GET answers that the
server is alive, POST calls the algorithm, DELETE stops it and exits.

The LangPack comes from --langpack, else from the "language" in the folder's
algorithmia.conf; a folder that no installed LangPack claims but that has an
executable bin/pipe is served by the generic "pipe" LangPack.

Environment: REQUEST_COMPLETE=<url> answers POST with 202 and posts the result
to that URL; STATUS_UPDATE=<url> (with SLOT_ID) receives load and runner-death
notices.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAlgorithm(cmd.Context(), g, f, args[0])
		},
	}
	cmd.Flags().StringVar(&f.listen, "listen", "0.0.0.0:9999", "address to listen on")
	cmd.Flags().StringVar(&f.langpack, "langpack", "", "LangPack to use instead of algorithmia.conf's language")
	cmd.Flags().BoolVar(&f.legacyFIFO, "legacy-fifo", false, "the runner only knows /tmp/algoout (one such runner at a time on this machine)")
	cmd.Flags().BoolVar(&f.exitOnRunnerFailure, "exit-on-runner-failure", false, "exit when the runner fails to load or dies, as the original did, instead of replacing it")
	cmd.Flags().DurationVar(&f.loadTimeout, "load-timeout", 5*time.Minute, "time allowed for the algorithm to load")
	cmd.Flags().StringVar(&f.maxBody, "max-body", "10MiB", "largest request body accepted")
	cmd.Flags().StringVar(&f.maxOutput, "max-output", "1MiB", "stdout and stderr kept per request; the rest is dropped with a visible marker")
	return cmd
}

func runAlgorithm(ctx context.Context, g *globals, f *runFlags, path string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	logger := g.logger()
	maxBody, err := units.ParseSize(f.maxBody)
	if err != nil {
		return fmt.Errorf("--max-body: %w", err)
	}
	maxOutput, err := units.ParseSize(f.maxOutput)
	if err != nil {
		return fmt.Errorf("--max-output: %w", err)
	}
	dir, cleanup, err := algorithmDir(path)
	if err != nil {
		return err
	}
	defer cleanup()
	catalog, err := g.catalog()
	if err != nil {
		return err
	}
	listener, err := net.Listen("tcp", f.listen)
	if err != nil {
		return err
	}
	adapter, err := chooseLangPack(ctx, catalog, dir, f.langpack)
	if err != nil {
		listener.Close()
		return err
	}
	if _, err := setUp(ctx, adapter); err != nil {
		adapter.Kill()
		listener.Close()
		return err
	}
	return standalone.Run(ctx, standalone.Options{
		Dir:                 dir,
		Listener:            listener,
		Adapter:             catalog.Supervise(adapter, nil),
		LegacyFIFO:          f.legacyFIFO,
		ExitOnRunnerFailure: f.exitOnRunnerFailure,
		LoadTimeout:         f.loadTimeout,
		MaxBody:             maxBody,
		MaxOutput:           int(maxOutput),
		RequestComplete:     os.Getenv("REQUEST_COMPLETE"),
		StatusUpdate:        os.Getenv("STATUS_UPDATE"),
		SlotID:              os.Getenv("SLOT_ID"),
		Logger:              logger,
	})
}

// chooseLangPack launches the adapter for the algorithm in dir and no other.
func chooseLangPack(ctx context.Context, catalog *adapters.Catalog, dir, forced string) (*adapters.Adapter, error) {
	set := catalog.NewSet()
	a, err := set.ForDir(ctx, dir, forced)
	if err != nil {
		set.Release()
		return nil, fmt.Errorf("%w (--langpack)", err)
	}
	set.Release(a)
	return a, nil
}

// algorithmDir returns the algorithm folder to serve: path itself, or an
// algorithm.zip extracted to a temporary folder that cleanup removes.
func algorithmDir(path string) (string, func(), error) {
	info, err := os.Stat(path)
	if err != nil {
		return "", nil, err
	}
	if info.IsDir() {
		abs, err := filepath.Abs(path)
		return abs, func() {}, err
	}
	if !strings.HasSuffix(path, ".zip") {
		return "", nil, fmt.Errorf("%s is neither an algorithm folder nor a .zip", path)
	}
	dir, err := os.MkdirTemp("", "langserver-algorithm-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	if err := unzip(path, dir); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("extracting %s: %w", path, err)
	}
	return dir, cleanup, nil
}

func unzip(archive, dest string) error {
	r, err := zip.OpenReader(archive)
	if err != nil {
		return err
	}
	defer r.Close()
	for _, f := range r.File {
		target := filepath.Join(dest, f.Name)
		if !strings.HasPrefix(target, dest+string(os.PathSeparator)) {
			return fmt.Errorf("%s: path escapes the archive", f.Name)
		}
		if f.FileInfo().IsDir() {
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
			continue
		}
		if err := extract(f, target); err != nil {
			return err
		}
	}
	return nil
}

func extract(f *zip.File, target string) error {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	src, err := f.Open()
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, f.Mode().Perm()|0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
