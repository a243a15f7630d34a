package sdk

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
)

// Toolchain finds the language runtime an adapter needs and remembers it
// until the next Setup: the executable a setting names, or the default one
// on PATH, checked and resolved by a probe. Adapters keep one and call
// Setup from their own Setup and Find wherever they need the runtime.
type Toolchain struct {
	// Name is the runtime's name in Runtime.Name ("python3").
	Name string
	// What names the executable in messages ("Python 3 interpreter").
	What string
	// LangPack is the adapter's LangPack name, for messages ("python").
	LangPack string
	// Setting is the LangPack setting that names the executable
	// ("interpreter").
	Setting string
	// Default is the executable looked up on PATH when the setting is
	// empty ("python3").
	Default string
	// Install is the Debian command that installs the runtime
	// ("apt-get install python3").
	Install string
	// Probe runs the executable found and returns its real path (behind
	// any version-manager shim, so runner starts do not pay for it) and
	// its version, or an error that says why it will not do.
	Probe func(ctx context.Context, path string) (real, version string, err error)

	mu       sync.Mutex
	settings map[string]string
	runtime  *Runtime
}

// Setup keeps the settings and finds the runtime again; a missing runtime
// is reported in the response, not as an error.
func (t *Toolchain) Setup(ctx context.Context, req *SetupRequest) (*SetupResponse, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.settings = req.Settings
	t.runtime = nil
	return &SetupResponse{Runtime: *t.findLocked(ctx)}, nil
}

// Find returns the runtime found by Setup (or by a Setup with no settings
// when the host did not call it), or an error that says what to install.
func (t *Toolchain) Find(ctx context.Context) (Runtime, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	rt := t.findLocked(ctx)
	if !rt.Found {
		return Runtime{}, errors.New(rt.Message)
	}
	return *rt, nil
}

func (t *Toolchain) findLocked(ctx context.Context) *Runtime {
	if t.runtime != nil {
		return t.runtime
	}
	name := t.settings[t.Setting]
	if name == "" {
		name = t.Default
	}
	rt := &Runtime{Name: t.Name}
	t.runtime = rt
	path, err := exec.LookPath(name)
	if err != nil {
		rt.Message = fmt.Sprintf("%s %q not found: install it (Debian: %s) or set %s in the langpack %q block", t.What, name, t.Install, t.Setting, t.LangPack)
		return rt
	}
	real, version, err := t.Probe(ctx, path)
	if err != nil {
		rt.Message = err.Error()
		return rt
	}
	rt.Found, rt.Path, rt.Version = true, real, version
	return rt
}

// SettingSchema declares the setting that names the executable, for
// InfoResponse.Settings: an optional string described from What and
// Default ("the Python 3 interpreter to use; default: python3 on PATH").
// Basic.Info adds it unless the adapter declares a setting of that name
// itself, which it does when the description needs more words.
func (t *Toolchain) SettingSchema() SettingSchema {
	return SettingSchema{
		Name:        t.Setting,
		Type:        "string",
		Description: fmt.Sprintf("the %s to use; default: %s on PATH", t.What, t.Default),
	}
}

// ProbeLines runs the executable at path with args, as a Probe does to ask
// a runtime about itself (its real path, its version), and returns the n
// lines it prints on stdout (trimmed of surrounding space), or an error that
// says the executable, which what names ("Python 3 interpreter"), does not
// run or printed something else.
func ProbeLines(ctx context.Context, what, path string, n int, args ...string) ([]string, error) {
	out, err := exec.CommandContext(ctx, path, args...).Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s does not run: %v", what, path, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != n {
		return nil, fmt.Errorf("%s %s printed %q, not the %d lines expected", what, path, out, n)
	}
	return lines, nil
}
