// Package file reads path: sources and overlays from the local file system,
// refusing anything that leaves the repository.
package file

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/orkdev/ork/pkg/source"
	"github.com/orkdev/ork/pkg/suggest"
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
			if near := Closest(root, dir, rel); near != "" {
				return nil, "", fmt.Errorf("path %q does not exist; did you mean %s?", rel, near)
			}
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
	w := walker{realRoot: realRoot, rel: rel, skipped: skipped, tree: tree, walking: map[string]bool{}}
	if err := w.dir(real, ""); err != nil {
		return nil, "", err
	}
	if err := w.readFiles(); err != nil {
		return nil, "", err
	}
	tree.Sort()
	return tree, target, nil
}

// maxDirectories bounds the directories one Load reads, symlinked ones
// counted each time they are reached: symlinks can make a small tree
// exponentially large without a loop.
const maxDirectories = 10000

// walker reads a directory tree, following symlinks that stay inside the
// root: to files, and to directories that are not being walked already.
type walker struct {
	realRoot string
	rel      string // the source's path, for messages
	skipped  map[string]bool
	tree     *source.Tree
	walking  map[string]bool // the real directories on the way down
	dirs     int
	files    []found // to read, once the walk has found them all
}

// found is a file the walk found: its real path and its path in the tree.
type found struct{ real, treePath string }

// dir reads the real directory real, whose files have tree paths that
// start with prefix.
func (w *walker) dir(real, prefix string) error {
	w.dirs++
	if w.dirs > maxDirectories {
		return fmt.Errorf("%s: more than %d directories (through symlinks); ork stops there", w.shown(prefix), maxDirectories)
	}
	w.walking[real] = true
	defer delete(w.walking, real)
	entries, err := os.ReadDir(real)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		p := filepath.Join(real, name)
		treePath := path.Join(prefix, name)
		switch {
		case e.IsDir():
			if err := w.dir(p, treePath); err != nil {
				return err
			}
		case e.Type()&fs.ModeSymlink != 0:
			if err := w.symlink(p, treePath); err != nil {
				return err
			}
		case e.Type().IsRegular() && source.Wanted(name) && !w.skipped[p]:
			if err := w.read(p, treePath); err != nil {
				return err
			}
		}
	}
	return nil
}

// symlink follows the symlink at p: to a wanted file, or to a directory.
// Either must stay inside the root, and a directory must not be one being
// walked (a loop); anything else it points to is an error.
func (w *walker) symlink(p, treePath string) error {
	shown := w.shown(treePath)
	wanted := source.Wanted(path.Base(treePath))
	target, err := filepath.EvalSymlinks(p)
	if err != nil {
		if !wanted {
			return nil // a file ork would not read anyway
		}
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: symlink to a file that does not exist", shown)
		}
		return fmt.Errorf("%s: %w", shown, err)
	}
	st, err := os.Stat(target)
	if err != nil {
		return fmt.Errorf("%s: %w", shown, err)
	}
	switch {
	case st.IsDir():
		if !inside(w.realRoot, target) {
			return fmt.Errorf("%s: symlink %w", shown, ErrEscape)
		}
		if w.walking[target] {
			return fmt.Errorf("%s: symlink to a directory that contains it (a loop)", shown)
		}
		return w.dir(target, treePath)
	case !wanted || w.skipped[target]:
		return nil
	case !inside(w.realRoot, target):
		return fmt.Errorf("%s: symlink %w", shown, ErrEscape)
	case !st.Mode().IsRegular():
		return fmt.Errorf("%s: symlink does not point to a regular file or a directory", shown)
	}
	return w.read(target, treePath)
}

func (w *walker) read(real, treePath string) error {
	w.files = append(w.files, found{real, treePath})
	return nil
}

// readers is how many files are read at once: reading is mostly waiting
// on the system, and a source is often hundreds of small files.
const readers = 8

// readFiles reads the files found, several at once, into the tree in the
// order found; the first error in that order is returned.
func (w *walker) readFiles() error {
	data := make([][]byte, len(w.files))
	errs := make([]error, len(w.files))
	var g errgroup.Group
	g.SetLimit(readers)
	for i, f := range w.files {
		g.Go(func() error {
			data[i], errs[i] = source.ReadFile(f.real)
			return nil // kept by index, so that the first in order is reported
		})
	}
	_ = g.Wait()
	for i, f := range w.files {
		if errs[i] != nil {
			return fmt.Errorf("%s: %w", w.shown(f.treePath), errs[i])
		}
		w.tree.Files = append(w.tree.Files, source.File{Path: f.treePath, Data: data[i]})
	}
	return nil
}

// shown is how a message names a file of the tree.
func (w *walker) shown(treePath string) string {
	return filepath.ToSlash(filepath.Join(w.rel, filepath.FromSlash(treePath)))
}

// inside reports whether p is root or below it, lexically.
func inside(root, p string) bool {
	r, err := filepath.Rel(root, p)
	return err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) && !filepath.IsAbs(r)
}

// Closest returns the existing path nearest to rel (relative to dir, inside
// root), written as rel is: each part of rel that does not exist replaced
// by the closest entry of its directory (a misspelt overlay directory
// gives the one meant). It returns "" when some part has no close entry.
func Closest(root, dir, rel string) string {
	parts := strings.Split(filepath.ToSlash(filepath.Clean(filepath.FromSlash(rel))), "/")
	cur := dir
	changed := false
	for i, p := range parts {
		next := filepath.Join(cur, p)
		if _, err := os.Lstat(next); err != nil {
			entries, err := os.ReadDir(cur)
			if err != nil {
				return ""
			}
			var names []string
			for _, e := range entries {
				if !strings.HasPrefix(e.Name(), ".") {
					names = append(names, e.Name())
				}
			}
			near := suggest.Closest(p, names)
			if near == "" {
				return ""
			}
			parts[i], next, changed = near, filepath.Join(cur, near), true
		}
		cur = next
	}
	if !changed || !inside(root, cur) {
		return ""
	}
	out := strings.Join(parts, "/")
	if strings.HasPrefix(rel, "./") {
		out = "./" + out
	}
	return out
}
