package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/langserver/langserver/sdk"
	"github.com/langserver/langserver/supervisor/adapters"
)

// stepFailed is a build or test step that exited non-zero; langserver
// exits with the same status.
type stepFailed struct {
	code    int
	message string
}

func (e *stepFailed) Error() string { return e.message }
func (e *stepFailed) ExitCode() int { return e.code }

// setUp asks an adapter to find its runtime and fails with the adapter's
// own advice when it is missing.
func setUp(ctx context.Context, a *adapters.Adapter) (*sdk.Runtime, error) {
	resp, err := a.Setup(ctx, &sdk.SetupRequest{})
	if err != nil {
		return nil, fmt.Errorf("setting up the %s LangPack: %w", a.Name, err)
	}
	if !resp.Runtime.Found {
		return nil, fmt.Errorf("the %s LangPack cannot run: %s", a.Name, resp.Runtime.Message)
	}
	return &resp.Runtime, nil
}

func newNewCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "new <langpack> <owner/name> [dir]",
		Short: "Create a new algorithm from a LangPack's template",
		Long: `Create a new algorithm from a LangPack's template in dir (default: ./<name>),
with the owner and name filled in. The result builds, passes its test and
serves without any edit.`,
		Args: cobra.RangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			owner, name, ok := strings.Cut(args[1], "/")
			if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
				return fmt.Errorf("%q is not owner/name", args[1])
			}
			dir := name
			if len(args) == 3 {
				dir = args[2]
			}
			if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
				return fmt.Errorf("%s already exists and is not empty", dir)
			}
			catalog, err := g.catalog()
			if err != nil {
				return err
			}
			a, err := catalog.Launch(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			defer a.Kill()
			resp, err := a.Scaffold(cmd.Context(), &sdk.ScaffoldRequest{Owner: owner, Name: name})
			if err != nil {
				return fmt.Errorf("the %s LangPack could not scaffold: %w", a.Name, err)
			}
			if err := writeFiles(dir, resp.Files); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created %s/%s in %s (%s LangPack, %d files)\n", owner, name, dir, a.Name, len(resp.Files))
			return nil
		},
	}
}

// writeFiles writes scaffolded files below dir, refusing paths that leave it.
func writeFiles(dir string, files []sdk.File) error {
	for _, f := range files {
		target := filepath.Join(dir, filepath.FromSlash(f.Path))
		if rel, err := filepath.Rel(dir, target); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return fmt.Errorf("template file %q leaves the algorithm folder", f.Path)
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(target, f.Content, f.Mode.Perm()); err != nil {
			return err
		}
	}
	return nil
}

func newStepCommand(g *globals, step string) *cobra.Command {
	var langpack string
	cmd := &cobra.Command{
		Use:   step + " [algorithm-dir]",
		Short: map[string]string{"build": "Install an algorithm's dependencies with its LangPack", "test": "Run an algorithm's tests with its LangPack"}[step],
		Long: fmt.Sprintf(`Run the LangPack's %s step on the algorithm folder (default: the current
folder). Output is streamed live; langserver exits with the step's status.`, step),
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			dir, err := filepath.Abs(dir)
			if err != nil {
				return err
			}
			catalog, err := g.catalog()
			if err != nil {
				return err
			}
			a, err := chooseLangPack(cmd.Context(), catalog, dir, langpack)
			if err != nil {
				return err
			}
			defer a.Kill()
			if _, err := setUp(cmd.Context(), a); err != nil {
				return err
			}
			run := a.Build
			if step == "test" {
				run = a.Test
			}
			res, err := run(cmd.Context(), &sdk.StepRequest{Dir: dir}, printLine(cmd.OutOrStdout(), cmd.ErrOrStderr()))
			if err != nil {
				return fmt.Errorf("%s with the %s LangPack: %w", step, a.Name, err)
			}
			switch {
			case res.Skipped:
				fmt.Fprintf(cmd.OutOrStdout(), "%s: skipped: %s\n", step, res.Message)
			case res.ExitCode != 0:
				return &stepFailed{code: res.ExitCode, message: fmt.Sprintf("%s failed: %s", step, res.Message)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&langpack, "langpack", "", "LangPack to use instead of algorithmia.conf's language")
	return cmd
}

// printLine writes each output line to the stream it came from.
func printLine(stdout, stderr io.Writer) sdk.OutputFunc {
	return func(l sdk.OutputLine) {
		w := stdout
		if l.Stream == sdk.Stderr {
			w = stderr
		}
		fmt.Fprintf(w, "%s\n", l.Text)
	}
}

func newLangPacksCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "langpacks",
		Short: "List the installed LangPacks and the runtime each one found",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			catalog, err := g.catalog()
			if err != nil {
				return err
			}
			names, err := catalog.Names()
			if err != nil {
				return err
			}
			if len(names) == 0 {
				return fmt.Errorf("no LangPacks installed in %s", catalog.Dir())
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "LANGPACK\tVERSION\tRUNTIME\tDETAILS")
			var failed []string
			for _, name := range names {
				version, runtime, details := describe(cmd.Context(), catalog, name)
				if runtime == "missing" {
					failed = append(failed, name)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", name, version, runtime, details)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if len(failed) > 0 {
				return errors.New("runtime missing for: " + strings.Join(failed, ", "))
			}
			return nil
		},
	}
}

// describe launches one adapter and reports its version and runtime.
func describe(ctx context.Context, catalog *adapters.Catalog, name string) (version, runtime, details string) {
	a, err := catalog.Launch(ctx, name)
	if err != nil {
		return "?", "missing", err.Error()
	}
	defer a.Kill()
	resp, err := a.Setup(ctx, &sdk.SetupRequest{})
	switch {
	case err != nil:
		return a.Info.Version, "missing", err.Error()
	case !resp.Runtime.Found:
		return a.Info.Version, "missing", resp.Runtime.Message
	}
	rt := resp.Runtime
	return a.Info.Version, strings.TrimSpace(rt.Name + " " + rt.Version), rt.Path
}
