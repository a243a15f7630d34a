package api

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Version is a semantic version major.minor.patch.
type Version struct{ Major, Minor, Patch int }

// ParseVersion parses "1.2.3".
func ParseVersion(s string) (Version, error) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return Version{}, fmt.Errorf("version %q is not major.minor.patch", s)
	}
	var v [3]int
	for i, p := range parts {
		n, ok := number(p)
		if !ok {
			return Version{}, fmt.Errorf("version %q is not major.minor.patch", s)
		}
		v[i] = n
	}
	return Version{v[0], v[1], v[2]}, nil
}

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// Compare orders versions.
func (v Version) Compare(o Version) int {
	if c := v.Major - o.Major; c != 0 {
		return c
	}
	if c := v.Minor - o.Minor; c != 0 {
		return c
	}
	return v.Patch - o.Patch
}

// Registry holds the served algorithms by owner/name, each with its
// versions, newest first. It is safe for concurrent use.
type Registry struct {
	mu    sync.RWMutex
	algos map[string][]*Algorithm
}

// NewRegistry returns a registry of algos.
func NewRegistry(algos []*Algorithm) *Registry {
	r := &Registry{algos: make(map[string][]*Algorithm)}
	for _, a := range algos {
		key := a.Owner + "/" + a.Name
		r.algos[key] = append(r.algos[key], a)
	}
	for _, versions := range r.algos {
		slices.SortFunc(versions, func(a, b *Algorithm) int { return b.Version.Compare(a.Version) })
	}
	return r
}

// All returns every algorithm version, sorted by owner/name then newest
// version first.
func (r *Registry) All() []*Algorithm {
	r.mu.RLock()
	defer r.mu.RUnlock()
	keys := make([]string, 0, len(r.algos))
	for k := range r.algos {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []*Algorithm
	for _, k := range keys {
		out = append(out, r.algos[k]...)
	}
	return out
}

// Resolve finds the version a request names: "" or "latest" (the newest),
// an exact "1.2.3", "1.2.*" or "1.2" (the newest 1.2.x), "1.*" or "1" (the
// newest 1.x.y), or a build hash (at least 6 hex digits, a prefix of the
// algorithm's build hash).
func (r *Registry) Resolve(owner, name, version string) (*Algorithm, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	versions := r.algos[owner+"/"+name]
	if len(versions) == 0 {
		return nil, false
	}
	if version == "" || version == "latest" {
		return versions[0], true
	}
	if v, err := ParseVersion(version); err == nil {
		for _, a := range versions {
			if a.Version == v {
				return a, true
			}
		}
		return nil, false
	}
	if prefix, ok := versionPrefix(version); ok {
		for _, a := range versions {
			if matchesPrefix(a.Version, prefix) {
				return a, true
			}
		}
	}
	if len(version) >= 6 && isHex(version) {
		for _, a := range versions {
			if strings.HasPrefix(a.BuildHash, strings.ToLower(version)) {
				return a, true
			}
		}
	}
	return nil, false
}

// versionPrefix parses "1.2.*", "1.2", "1.*" and "1" into their numbers.
func versionPrefix(s string) ([]int, bool) {
	s = strings.TrimSuffix(s, ".*")
	parts := strings.Split(s, ".")
	if len(parts) > 2 {
		return nil, false
	}
	out := make([]int, len(parts))
	for i, p := range parts {
		n, ok := number(p)
		if !ok {
			return nil, false
		}
		out[i] = n
	}
	return out, true
}

// number parses a version component: decimal digits only, without
// leading zeros.
func number(s string) (int, bool) {
	if s == "" || (len(s) > 1 && s[0] == '0') || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

func matchesPrefix(v Version, prefix []int) bool {
	parts := []int{v.Major, v.Minor}
	for i, n := range prefix {
		if parts[i] != n {
			return false
		}
	}
	return true
}

func isHex(s string) bool {
	for _, c := range strings.ToLower(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
