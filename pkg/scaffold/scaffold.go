// Package scaffold writes a new, working Komposer repository.
package scaffold

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/orkdev/ork/pkg/bundle"
)

//go:embed all:template
var template embed.FS

// Write creates the scaffold's files under dir and returns their paths,
// relative to dir. It refuses, writing nothing, if any of them exists.
func Write(dir string) ([]string, error) {
	var files []bundle.File
	var names []string
	err := fs.WalkDir(template, "template", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := template.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("template", p)
		names = append(names, filepath.ToSlash(rel))
		files = append(files, bundle.File{Path: filepath.Join(dir, rel), Data: data})
		return nil
	})
	if err != nil {
		return nil, err
	}
	var exists []error
	for _, f := range files {
		if _, err := os.Lstat(f.Path); err == nil {
			exists = append(exists, fmt.Errorf("%s already exists", f.Path))
		}
	}
	if len(exists) > 0 {
		return nil, fmt.Errorf("init writes nothing over existing files: %w", errors.Join(exists...))
	}
	if _, err := bundle.WriteFiles(files); err != nil {
		return nil, err
	}
	sort.Strings(names)
	return names, nil
}
