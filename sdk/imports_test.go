package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const modulePath = "github.com/langserver/langserver"

// listedPackage is the part of `go list -json` output the tests use.
type listedPackage struct {
	ImportPath string
	DepOnly    bool
	Deps       []string
	Error      *struct{ Err string }
}

// repoRoot walks up from the package folder to the folder holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
}

// goListDeps runs `go list -deps -json pattern` in the repository and
// returns the packages the pattern matched (not those listed only as
// dependencies), by import path.
func goListDeps(t *testing.T, pattern string) map[string]listedPackage {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to check imports: %v", err)
	}
	cmd := exec.Command(goCmd, "list", "-deps", "-json", pattern)
	cmd.Dir = repoRoot(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps -json %s: %v\n%s", pattern, err, stderr.Bytes())
	}
	matched := map[string]listedPackage{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		if p.Error != nil {
			t.Errorf("go list: %s: %s", p.ImportPath, p.Error.Err)
		}
		if !p.DepOnly {
			matched[p.ImportPath] = p
		}
	}
	return matched
}

// ours reports whether path is a package of this module.
func ours(path string) bool {
	return path == modulePath || strings.HasPrefix(path, modulePath+"/")
}

// supervisorPackage reports whether path is a supervisor package.
func supervisorPackage(path string) bool {
	const supervisor = modulePath + "/supervisor"
	return path == supervisor || strings.HasPrefix(path, supervisor+"/")
}

// TestImportBoundaries enforces the layering of DESIGN.md: the SDK never
// imports the supervisor, and the embedded language files of langpacks/
// depend on nothing of ours.
func TestImportBoundaries(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		// mustMatch are packages the pattern must list, so that the check
		// cannot pass by looking at nothing.
		mustMatch []string
		forbidden func(dep string) bool
		rule      string
	}{
		{
			name:      "sdk never imports the supervisor",
			pattern:   "./sdk/...",
			mustMatch: []string{modulePath + "/sdk", modulePath + "/sdk/pipe"},
			forbidden: supervisorPackage,
			rule:      "the SDK must never import the supervisor",
		},
		{
			name:      "langpacks import nothing of ours",
			pattern:   "./langpacks/...",
			mustMatch: []string{modulePath + "/langpacks/python"},
			forbidden: ours,
			rule:      "langpacks/ packages must not import any package of this module",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pkgs := goListDeps(t, tt.pattern)
			for _, want := range tt.mustMatch {
				if _, ok := pkgs[want]; !ok {
					t.Errorf("go list %s did not list %s", tt.pattern, want)
				}
			}
			for path, p := range pkgs {
				for _, dep := range p.Deps {
					if tt.forbidden(dep) {
						t.Errorf("%s depends on %s: %s", path, dep, tt.rule)
					}
				}
			}
		})
	}
}

// TestForbiddenCheckMatches keeps the boundary predicates honest.
func TestForbiddenCheckMatches(t *testing.T) {
	tests := []struct {
		path           string
		ours, superPkg bool
	}{
		{modulePath, true, false},
		{modulePath + "/supervisor", true, true},
		{modulePath + "/supervisor/input", true, true},
		{modulePath + "/supervisors", true, false},
		{modulePath + "/sdk/pipe", true, false},
		{modulePath + "x/supervisor", false, false},
		{"github.com/langserver/other", false, false},
		{"fmt", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if got := ours(tt.path); got != tt.ours {
				t.Errorf("ours(%q) = %v, want %v", tt.path, got, tt.ours)
			}
			if got := supervisorPackage(tt.path); got != tt.superPkg {
				t.Errorf("supervisorPackage(%q) = %v, want %v", tt.path, got, tt.superPkg)
			}
		})
	}
}
