package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	rustlangpack "github.com/langserver/langserver/langpacks/rust"
	"github.com/langserver/langserver/sdk"
	"github.com/langserver/langserver/sdk/pipe"
)

// version is the adapter's version, set at build time.
var version = "dev"

// The oldest Rust release the runner crate compiles with
// (std::backtrace::Backtrace).
const (
	minRustMajor = 1
	minRustMinor = 65
)

// debianRegistry is where Debian's librust-*-dev packages put their crates.
const debianRegistry = "/usr/share/cargo/registry"

// Paths relative to the algorithm's root: the generated runner crate, the
// cargo target folder (shared by the runner build and cargo test, so each
// reuses the other's work) and the runner binary.
const (
	runnerDir = ".langserver/rust/runner"
	targetDir = ".langserver/target"
	binary    = targetDir + "/release/pipe"
	stamp     = ".langserver/rust/pipe.stamp"
)

// supportCrate names the LangPack's own crate in the registry it builds.
const supportCrate = "langserver-0.1.0"

func main() {
	lp := &langPack{Basic: sdk.Basic{
		InfoResponse: sdk.InfoResponse{
			Name:    "rust",
			Version: version,
			Description: "Rust algorithms: a library crate (Cargo.toml, src/lib.rs) with " +
				"pub fn apply(input: serde_json::Value) -> Result<..>, built offline against Debian's crates",
			Capabilities:  []string{sdk.CapBuild, sdk.CapTest, sdk.CapScaffold, sdk.CapStreamOutput, sdk.CapLegacyFIFO},
			Languages:     []string{"rust"},
			RequiredFiles: []string{"algorithmia.conf", "Cargo.toml", "src/lib.rs"},
			Settings: []sdk.SettingSchema{{
				Name: "cargo", Type: "string",
				Description: "the cargo to use; default: cargo on PATH, else ~/.cargo/bin/cargo",
			}, {
				Name: "registry", Type: "string",
				Description: "the folder of packaged crates that dependencies resolve against; default: " + debianRegistry,
			}},
		},
		Toolchain: &sdk.Toolchain{
			Name: "cargo", What: "Rust toolchain (cargo)", LangPack: "rust", Setting: "cargo",
			Default: defaultCargo(), Install: "apt-get install cargo-web rustc-web on Debian 12, whose cargo and rustc packages are too old; or rustup",
			Probe: probeCargo,
		},
		Template: rustlangpack.Files, TemplateDir: "template",
	}}
	lp.PipeRunners = sdk.NewPipeRunners(lp.runnerCommand)
	sdk.Serve(lp)
}

// defaultCargo is cargo on PATH, else the one rustup installs in
// $CARGO_HOME/bin or ~/.cargo/bin, which services often lack on PATH.
func defaultCargo() string {
	if _, err := exec.LookPath("cargo"); err == nil {
		return "cargo"
	}
	home := os.Getenv("CARGO_HOME")
	if home == "" {
		if userHome, err := os.UserHomeDir(); err == nil {
			home = filepath.Join(userHome, ".cargo")
		}
	}
	if home != "" {
		if p := filepath.Join(home, "bin", "cargo"); exists(p) {
			return p
		}
	}
	return "cargo"
}

type langPack struct {
	sdk.Basic
	*sdk.PipeRunners
}

// probeCargo asks cargo for its version, which is Rust's.
func probeCargo(ctx context.Context, path string) (string, string, error) {
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		return "", "", fmt.Errorf("cargo %s does not run: %v", path, err)
	}
	v := cargoVersion(string(out))
	if !atLeast(v, minRustMajor, minRustMinor) {
		return "", "", fmt.Errorf("%s is cargo %s; the rust LangPack needs Rust %d.%d or later (Debian 12: apt-get install cargo-web rustc-web)", path, v, minRustMajor, minRustMinor)
	}
	return path, v, nil
}

// cargoVersion returns the version in cargo --version's output, such as
// "1.95.0" in "cargo 1.95.0 (f2d3ce0bd 2026-03-21)".
func cargoVersion(out string) string {
	fields := strings.Fields(out)
	if len(fields) < 2 {
		return ""
	}
	return fields[1]
}

// atLeast reports whether a version such as "1.70.0" or "1.80.0-nightly"
// is at least major.minor.
func atLeast(v string, major, minor int) bool {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return false
	}
	maj, err1 := strconv.Atoi(parts[0])
	min, err2 := strconv.Atoi(strings.SplitN(parts[1], "-", 2)[0])
	if err1 != nil || err2 != nil {
		return false
	}
	return maj > major || maj == major && min >= minor
}

// cargoConfig makes the registry cargo resolves crates-io dependencies
// against: every crate of the Debian registry folder debian (empty for
// debianRegistry), linked, plus the LangPack's own crate. It lives in the
// temporary folder, named after the crate's content, and returns the path
// of the cargo configuration that selects it.
func cargoConfig(debian string) (config, crateDir string, err error) {
	if debian == "" {
		debian = debianRegistry
	}
	crate, err := fs.Sub(rustlangpack.Files, "crate")
	if err != nil {
		return "", "", err
	}
	sum := sha256.New()
	err = fs.WalkDir(crate, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		content, err := fs.ReadFile(crate, p)
		fmt.Fprintf(sum, "%s %d\n", p, len(content))
		sum.Write(content)
		return err
	})
	if err != nil {
		return "", "", err
	}
	fmt.Fprintln(sum, debian)
	dir := filepath.Join(os.TempDir(), "langserver-rust-"+hex.EncodeToString(sum.Sum(nil)[:6]))
	registry := filepath.Join(dir, "registry")
	crateDir = filepath.Join(registry, supportCrate)
	if err := writeTree(crate, crateDir); err != nil {
		return "", "", err
	}
	if err := writeIfChanged(filepath.Join(crateDir, ".cargo-checksum.json"), []byte(`{"package":null,"files":{}}`)); err != nil {
		return "", "", err
	}
	if err := linkCrates(debian, registry); err != nil {
		return "", "", err
	}
	config = filepath.Join(dir, "config.toml")
	content := fmt.Sprintf("[source.crates-io]\nreplace-with = \"langserver\"\n\n[source.langserver]\ndirectory = %s\n", strconv.Quote(registry))
	return config, crateDir, writeIfChanged(config, []byte(content))
}

// writeTree writes the files of fsys under dir, leaving unchanged files
// alone.
func writeTree(fsys fs.FS, dir string) error {
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		content, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		return writeIfChanged(filepath.Join(dir, filepath.FromSlash(p)), content)
	})
}

// writeIfChanged writes a file through a temporary file and a rename, so
// that concurrent adapters never see it half written, unless it already
// holds content.
func writeIfChanged(name string, content []byte) error {
	if existing, err := os.ReadFile(name); err == nil && bytes.Equal(existing, content) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".write-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}

// linkCrates links each crate folder of the Debian registry into registry.
// A missing Debian registry leaves only the LangPack's crate, and cargo then
// names any dependency it cannot find.
func linkCrates(debian, registry string) error {
	entries, err := os.ReadDir(debian)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() == supportCrate {
			continue
		}
		link := filepath.Join(registry, e.Name())
		if _, err := os.Lstat(link); err == nil {
			continue
		}
		if err := os.Symlink(filepath.Join(debian, e.Name()), link); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
	}
	return nil
}

// cargoCommand returns a cargo command run in the algorithm's root dir with
// the LangPack's registry and target folder.
func cargoCommand(ctx context.Context, cargo, config, dir string, env map[string]string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, cargo, append(append([]string{}, args...), "--offline", "--config", config)...)
	cmd.Dir = dir
	cmd.Env = sdk.MergeEnv(sdk.MergeEnv(os.Environ(), env), map[string]string{"CARGO_TARGET_DIR": filepath.Join(dir, targetDir)})
	return cmd
}

func (l *langPack) runnerCommand(ctx context.Context, req *sdk.StartRunnerRequest) (pipe.Config, error) {
	if _, err := l.compile(ctx, req.Dir, req.Env, nil); err != nil {
		return pipe.Config{}, fmt.Errorf("compiling the algorithm: %w", err)
	}
	return pipe.Config{
		Command: []string{filepath.Join(req.Dir, binary)},
		Dir:     req.Dir,
		Env:     sdk.MergeEnv(os.Environ(), req.Env),
	}, nil
}

// compile builds the runner binary of the algorithm in dir when it is
// missing or older than the algorithm's files or the LangPack's crate: a
// generated crate whose main serves the algorithm crate's apply. It reports
// whether it ran cargo build, whose lines go to out; a failed build is a
// *sdk.StepError whose message says which Debian package has the crate the
// offline registry lacks, when that is why it failed.
func (l *langPack) compile(ctx context.Context, dir string, env map[string]string, out sdk.OutputFunc) (compiled bool, err error) {
	rt, err := l.Toolchain.Find(ctx)
	if err != nil {
		return false, err
	}
	config, crateDir, err := cargoConfig(l.Setting("registry"))
	if err != nil {
		return false, err
	}
	err = sdk.CompileIfStale(ctx, filepath.Join(dir, stamp), []string{dir, crateDir}, func(ctx context.Context) error {
		compiled = true
		name, err := libraryName(ctx, rt.Path, dir)
		if err != nil {
			return err
		}
		if err := writeRunnerCrate(dir, name); err != nil {
			return err
		}
		cmd := cargoCommand(ctx, rt.Path, config, dir, env, "build", "--release", "--manifest-path", filepath.Join(dir, runnerDir, "Cargo.toml"))
		err = sdk.RunTool(ctx, cmd, out)
		var failed *sdk.StepError
		if errors.As(err, &failed) {
			failed.Result.Message += missingCrateHint(failed.Output, "; ")
		}
		return err
	})
	return compiled, err
}

// libraryName returns the package name of the algorithm's crate, checking
// that it is a library.
func libraryName(ctx context.Context, cargo, dir string) (string, error) {
	cmd := exec.CommandContext(ctx, cargo, "metadata", "--no-deps", "--format-version", "1", "--offline")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("reading Cargo.toml failed: %v\n%s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return parseLibraryName(out, filepath.Join(dir, "Cargo.toml"))
}

// parseLibraryName finds, in cargo metadata output, the package whose
// manifest is manifest and returns its name when it has a library target.
func parseLibraryName(metadata []byte, manifest string) (string, error) {
	var meta struct {
		Packages []struct {
			Name         string `json:"name"`
			ManifestPath string `json:"manifest_path"`
			Targets      []struct {
				Kind []string `json:"kind"`
			} `json:"targets"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(metadata, &meta); err != nil {
		return "", fmt.Errorf("cargo metadata: %w", err)
	}
	for _, p := range meta.Packages {
		if filepath.Clean(p.ManifestPath) != filepath.Clean(manifest) {
			continue
		}
		for _, t := range p.Targets {
			for _, k := range t.Kind {
				if k == "lib" || k == "rlib" {
					return p.Name, nil
				}
			}
		}
		return "", fmt.Errorf("%s has no library target: the rust LangPack serves a library crate (src/lib.rs) with pub fn apply", manifest)
	}
	return "", fmt.Errorf("%s: no package", manifest)
}

// writeRunnerCrate writes the crate whose main serves the algorithm,
// reusing the algorithm's Cargo.lock so that it builds with the versions
// the algorithm was tested with.
func writeRunnerCrate(dir, name string) error {
	root := filepath.Join(dir, runnerDir)
	manifest := `# Generated by langpack-rust: the runner of the algorithm in ../../..
[package]
name = "langserver-runner"
version = "0.0.0"
edition = "2021"
publish = false

[[bin]]
name = "pipe"
path = "main.rs"

[dependencies]
algorithm = { path = "../../..", package = ` + strconv.Quote(name) + ` }
langserver = "0.1"

[profile.release]
debug = 1

[workspace]
`
	main := `// Generated by langpack-rust: serves the algorithm's apply.
fn main() {
    langserver::serve(algorithm::apply)
}
`
	if err := writeIfChanged(filepath.Join(root, "Cargo.toml"), []byte(manifest)); err != nil {
		return err
	}
	if err := writeIfChanged(filepath.Join(root, "main.rs"), []byte(main)); err != nil {
		return err
	}
	if lock, err := os.ReadFile(filepath.Join(dir, "Cargo.lock")); err == nil {
		return writeIfChanged(filepath.Join(root, "Cargo.lock"), lock)
	}
	return nil
}

// missingCrate matches cargo's complaint about a dependency that the
// offline registry lacks.
var missingCrate = regexp.MustCompile("no matching package named `([^`]+)` found")

// missingCrateHint returns, after sep, which Debian package provides the
// crate that cargo's output says is missing, or "" when it says none is.
func missingCrateHint(output []byte, sep string) string {
	m := missingCrate.FindSubmatch(output)
	if m == nil {
		return ""
	}
	pkg := "librust-" + strings.ReplaceAll(strings.ToLower(string(m[1])), "_", "-") + "-dev"
	return fmt.Sprintf("%scrate %s is not in the offline registry: install it (Debian: apt-get install %s)", sep, m[1], pkg)
}

func (l *langPack) Build(ctx context.Context, req *sdk.StepRequest, out sdk.OutputFunc) (*sdk.StepResult, error) {
	compiled, err := l.compile(ctx, req.Dir, req.Env, out)
	switch {
	case err != nil:
		return sdk.StepOutcome(err)
	case !compiled:
		return &sdk.StepResult{Message: binary + " is up to date"}, nil
	}
	return &sdk.StepResult{Message: "compiled " + binary}, nil
}

func (l *langPack) Test(ctx context.Context, req *sdk.StepRequest, out sdk.OutputFunc) (*sdk.StepResult, error) {
	rt, err := l.Toolchain.Find(ctx)
	if err != nil {
		return nil, err
	}
	config, _, err := cargoConfig(l.Setting("registry"))
	if err != nil {
		return nil, err
	}
	return sdk.RunStep(ctx, cargoCommand(ctx, rt.Path, config, req.Dir, req.Env, "test"), out)
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
