package compose

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/orkdev/ork/pkg/bundle"
	"github.com/orkdev/ork/pkg/komposer"
	"github.com/orkdev/ork/pkg/manifest"
	"github.com/orkdev/ork/pkg/source/oci"
)

// IsLocal reports whether a source is read from the repository itself (a
// path: or an oci-layout: source), never pinned in ork.lock.
func IsLocal(s komposer.Source) bool { return local(s) }

// local reports whether a source is read from the repository itself (a
// path: or an oci-layout: source), so that it is never pinned in ork.lock:
// the bundle records its tree's digest instead.
func local(s komposer.Source) bool {
	return s.Path != "" || oci.IsLayout(s.OCI)
}

// localKind names the kind of a local source in messages.
func localKind(s komposer.Source) string {
	if s.Path != "" {
		return "a path:"
	}
	return "an oci-layout:"
}

// artifactDisplay names a file of an artifact in messages: the source,
// the short manifest digest and the file's path.
func artifactDisplay(name, digest string) func(string) string {
	short := digest
	if len(short) > len("sha256:")+12 {
		short = short[:len("sha256:")+12]
	}
	return func(rel string) string { return fmt.Sprintf("%s@%s:%s", name, short, rel) }
}

// loadLayout reads an oci-layout:PATH:TAG source: an OCI image layout in
// the repository (the working tree, or the branch the builder reads),
// with PATH relative to the Komposer.
func (b *builder) loadLayout(ctx context.Context, s komposer.Source) (*layer, error) {
	fail := func(err error) (*layer, error) {
		return nil, manifest.Errorf(s.Pos, s.Name, "source %q: %s: %v", s.Name, s.OCI, err)
	}
	ref, err := oci.Parse(s.OCI)
	if err != nil {
		return fail(err)
	}
	fsys, err := b.layoutFS(ref.Layout)
	if err != nil {
		return fail(err)
	}
	store, err := oci.OpenLayout(ctx, fsys, ref.Layout)
	if err != nil {
		return fail(err)
	}
	client := b.opts.OCI
	if client == nil {
		client = &oci.Client{Offline: true} // reading a layout needs no network
	}
	a, err := client.ReadFrom(ctx, store, ref)
	if err != nil {
		return fail(err)
	}
	tree := a.Katalog()
	l, _, err := b.decodeTree(s.Name, tree, artifactDisplay(s.Name, a.Digest), nil)
	l.pin = bundle.Pin{Name: s.Name, Type: "oci-layout", Location: s.OCI, ID: tree.Digest()}
	return l, err
}

// layoutFS opens the directory rel (relative to the Komposer), which may
// not leave the repository.
func (b *builder) layoutFS(rel string) (fs.FS, error) {
	if filepath.IsAbs(rel) || path.IsAbs(rel) {
		return nil, fmt.Errorf("path %q is absolute; write it relative to the Komposer", rel)
	}
	if b.snapshot != nil {
		dir, err := filepath.Rel(b.k.Root, b.k.Dir)
		if err != nil {
			return nil, err
		}
		base := path.Join(filepath.ToSlash(dir), filepath.ToSlash(rel))
		if base == ".." || strings.HasPrefix(base, "../") {
			return nil, fmt.Errorf("path %q leaves the repository", rel)
		}
		snap := b.snapshot
		return oci.ReadFileFS(func(name string) ([]byte, error) { return snap.ReadFile(path.Join(base, name)) }), nil
	}
	target := filepath.Join(b.k.Dir, filepath.FromSlash(rel))
	if !within(b.k.Root, target) {
		return nil, fmt.Errorf("path %q leaves the repository", rel)
	}
	real, err := filepath.EvalSymlinks(target)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("path %q does not exist", rel)
	}
	if err != nil {
		return nil, fmt.Errorf("path %q: %w", rel, err)
	}
	root, err := filepath.EvalSymlinks(b.k.Root)
	if err != nil {
		return nil, err
	}
	if !within(root, real) {
		return nil, fmt.Errorf("path %q leaves the repository through a symlink", rel)
	}
	return os.DirFS(real), nil
}

// within reports whether p is root or below it, lexically.
func within(root, p string) bool {
	r, err := filepath.Rel(root, p)
	return err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator))
}
