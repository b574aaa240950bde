// Package file reads path: sources and overlays from the local file system,
// refusing anything that leaves the repository.
package file

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/orkdev/ork/pkg/source"
)

// ErrEscape is returned for a path or symlink that leads out of the
// repository root.
var ErrEscape = errors.New("leaves the repository")

// Load reads the file or directory rel, written relative to dir, as a tree.
// Every file below it that source.Wanted accepts is read, except dot-files,
// dot-directories and the paths in skip (absolute, such as the Komposer
// itself). Both rel and every symlink met must stay inside root. It also
// returns the directory that the tree's paths are relative to: the
// directory itself, or a file's parent.
func Load(root, dir, rel string, skip ...string) (*source.Tree, string, error) {
	if filepath.IsAbs(rel) {
		return nil, "", fmt.Errorf("path %q is absolute; write it relative to the Komposer", rel)
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, "", err
	}
	target := filepath.Join(dir, filepath.FromSlash(rel))
	if !inside(root, target) {
		return nil, "", fmt.Errorf("path %q %w", rel, ErrEscape)
	}
	real, err := filepath.EvalSymlinks(target)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, "", fmt.Errorf("path %q does not exist", rel)
		}
		return nil, "", err
	}
	if !inside(realRoot, real) {
		return nil, "", fmt.Errorf("path %q %w through a symlink", rel, ErrEscape)
	}
	skipped := map[string]bool{}
	for _, s := range skip {
		if r, err := filepath.EvalSymlinks(s); err == nil {
			skipped[r] = true
		}
	}
	info, err := os.Stat(real)
	if err != nil {
		return nil, "", err
	}
	tree := &source.Tree{}
	if !info.IsDir() {
		data, err := source.ReadFile(real)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", filepath.ToSlash(filepath.Clean(rel)), err)
		}
		tree.Files = append(tree.Files, source.File{Path: filepath.Base(target), Data: data})
		return tree, filepath.Dir(target), nil
	}
	err = filepath.WalkDir(real, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != real && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !source.Wanted(d.Name()) || skipped[p] {
			return nil
		}
		relPath, _ := filepath.Rel(real, p)
		file := p
		if d.Type()&fs.ModeSymlink != 0 {
			file, err = filepath.EvalSymlinks(p)
			if err != nil {
				return fmt.Errorf("%s: %w", filepath.ToSlash(filepath.Join(rel, relPath)), err)
			}
			if !inside(realRoot, file) {
				return fmt.Errorf("%s: symlink %w", filepath.ToSlash(filepath.Join(rel, relPath)), ErrEscape)
			}
			if st, err := os.Stat(file); err != nil || !st.Mode().IsRegular() {
				return fmt.Errorf("%s: symlink does not point to a regular file", filepath.ToSlash(filepath.Join(rel, relPath)))
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		data, err := source.ReadFile(file)
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.ToSlash(filepath.Join(rel, relPath)), err)
		}
		tree.Files = append(tree.Files, source.File{Path: filepath.ToSlash(relPath), Data: data})
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return tree, target, nil
}

// inside reports whether p is root or below it, lexically.
func inside(root, p string) bool {
	r, err := filepath.Rel(root, p)
	return err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) && !filepath.IsAbs(r)
}
