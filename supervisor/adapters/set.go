package adapters

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Set launches each adapter of a catalog at most once and keeps it, so
// that many algorithms share their LangPack's adapter.
type Set struct {
	catalog *Catalog

	mu       sync.Mutex
	launched map[string]*Adapter
}

// NewSet returns an empty set over the catalog.
func (c *Catalog) NewSet() *Set {
	return &Set{catalog: c, launched: make(map[string]*Adapter)}
}

// Get returns the adapter of the LangPack name, launching it when needed.
func (s *Set) Get(ctx context.Context, name string) (*Adapter, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.launched[name]; ok && !a.Exited() {
		return a, nil
	}
	a, err := s.catalog.Launch(ctx, name)
	if err != nil {
		return nil, err
	}
	s.launched[name] = a
	return a, nil
}

// AlgorithmConf is what langserver reads of an algorithmia.conf.
type AlgorithmConf struct {
	AlgoName string `json:"algoname"`
	Language string `json:"language"`
}

// ReadAlgorithmConf reads the algorithmia.conf in dir; a folder without
// one gives an empty AlgorithmConf.
func ReadAlgorithmConf(dir string) (AlgorithmConf, error) {
	var conf AlgorithmConf
	path := filepath.Join(dir, "algorithmia.conf")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return conf, nil
	}
	if err != nil {
		return conf, err
	}
	if err := json.Unmarshal(data, &conf); err != nil {
		return conf, fmt.Errorf("%s: %w", path, err)
	}
	return conf, nil
}

// MissingFiles lists the files of a.Info.RequiredFiles that the algorithm
// folder dir lacks.
func (a *Adapter) MissingFiles(dir string) ([]string, error) {
	conf, err := ReadAlgorithmConf(dir)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, f := range a.Info.RequiredFiles {
		f = strings.ReplaceAll(f, "{algoname}", conf.AlgoName)
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f))); err != nil {
			missing = append(missing, f)
		}
	}
	return missing, nil
}

// ForDir returns the adapter that serves the algorithm in dir: the LangPack
// forced, else the one whose languages include algorithmia.conf's
// "language", else the generic pipe LangPack when the folder has a
// bin/pipe. Adapters launched to ask for their languages stay in the set.
func (s *Set) ForDir(ctx context.Context, dir, forced string) (*Adapter, error) {
	if forced != "" {
		return s.Get(ctx, forced)
	}
	conf, err := ReadAlgorithmConf(dir)
	if err != nil {
		return nil, err
	}
	language := conf.Language
	names, err := s.catalog.Names()
	if err != nil {
		return nil, err
	}
	if language != "" {
		for _, name := range names {
			if name == PipeLangPack {
				continue
			}
			a, err := s.Get(ctx, name)
			if err != nil {
				s.catalog.logger.Warn("skipping an adapter that does not start", "langpack", name, "error", err)
				continue
			}
			if Serves(a.Info.Languages, language) {
				return a, nil
			}
		}
	}
	if info, err := os.Stat(filepath.Join(dir, "bin", "pipe")); err == nil && !info.IsDir() {
		return s.Get(ctx, PipeLangPack)
	}
	if language == "" {
		return nil, fmt.Errorf("%s has no algorithmia.conf naming a language and no bin/pipe: choose a LangPack", dir)
	}
	return nil, fmt.Errorf("%w for language %q of %s, which has no bin/pipe either (installed: %s): choose a LangPack", ErrNotInstalled, language, dir, strings.Join(names, ", "))
}

// Release kills every launched adapter but those to keep.
func (s *Set) Release(keep ...*Adapter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, a := range s.launched {
		kept := false
		for _, k := range keep {
			kept = kept || k == a
		}
		if !kept {
			a.Kill()
			delete(s.launched, name)
		}
	}
}

// All returns the launched adapters by LangPack name.
func (s *Set) All() map[string]*Adapter {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]*Adapter, len(s.launched))
	for name, a := range s.launched {
		out[name] = a
	}
	return out
}
