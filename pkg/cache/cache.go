// Package cache stores fetched source trees by content. An entry is named
// by the digest of the tree it holds, verified whenever it is read, and
// written atomically, so ork processes may share one cache directory and a
// damaged entry is noticed rather than used.
package cache

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/orkdev/ork/pkg/source"
)

// ErrMissing is returned for an entry the cache does not hold.
var ErrMissing = errors.New("not in the cache")

// ErrCorrupt is returned for an entry whose bytes no longer match its name.
var ErrCorrupt = errors.New("cache entry is damaged (its content does not match its digest)")

// Cache is a cache directory.
type Cache struct {
	dir string
}

// DefaultDir is ork's directory in the user cache directory.
func DefaultDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory: %w; set --cache-dir or ORK_CACHE_DIR", err)
	}
	return filepath.Join(d, "ork"), nil
}

// Open returns the cache in dir, the default one when dir is empty. The
// directory is created when something is first stored.
func Open(dir string) (*Cache, error) {
	if dir == "" {
		var err error
		if dir, err = DefaultDir(); err != nil {
			return nil, err
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	return &Cache{dir: abs}, nil
}

// Dir is the cache's directory.
func (c *Cache) Dir() string { return c.dir }

func (c *Cache) treePath(digest string) (string, error) {
	hexDigest, ok := strings.CutPrefix(digest, "sha256:")
	if !ok || len(hexDigest) != 64 || strings.Trim(hexDigest, "0123456789abcdef") != "" {
		return "", fmt.Errorf("invalid tree digest %q", digest)
	}
	return filepath.Join(c.dir, "trees", hexDigest[:2], hexDigest+".tar"), nil
}

// Tree returns the tree with the given digest. A damaged entry is removed
// and reported with ErrCorrupt, so the next fetch replaces it.
func (c *Cache) Tree(digest string) (*source.Tree, error) {
	p, err := c.treePath(digest)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrMissing
	}
	if err != nil {
		return nil, err
	}
	t, err := readTar(data)
	if err == nil && t.Digest() != digest {
		err = errors.New("digest mismatch")
	}
	if err != nil {
		os.Remove(p)
		return nil, fmt.Errorf("%s: %w", p, ErrCorrupt)
	}
	return t, nil
}

// PutTree stores t and returns its digest.
func (c *Cache) PutTree(t *source.Tree) (string, error) {
	digest := t.Digest()
	p, err := c.treePath(digest)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(p); err == nil {
		return digest, nil
	}
	data, err := writeTar(t)
	if err != nil {
		return "", err
	}
	return digest, writeAtomic(p, data)
}

// Lookup returns the tree digest recorded for key (a description of what
// was fetched: a Git URL, commit and path, or an OCI manifest digest).
func (c *Cache) Lookup(key string) (string, bool) {
	data, err := os.ReadFile(c.refPath(key))
	if err != nil {
		return "", false
	}
	d := strings.TrimSpace(string(data))
	if _, err := c.treePath(d); err != nil {
		return "", false
	}
	return d, true
}

// Record remembers that key holds the tree with digest.
func (c *Cache) Record(key, digest string) error {
	return writeAtomic(c.refPath(key), []byte(digest+"\n"))
}

func (c *Cache) refPath(key string) string {
	sum := sha256.Sum256([]byte(key))
	h := hex.EncodeToString(sum[:])
	return filepath.Join(c.dir, "refs", h[:2], h)
}

// writeAtomic writes data, its parts in order, to a temporary file beside path and renames it
// into place: readers see the old content or the new, never a part.
func writeAtomic(path string, data ...[]byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	var werr error
	for _, d := range data {
		if _, werr = tmp.Write(d); werr != nil {
			break
		}
	}
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

func writeTar(t *source.Tree) ([]byte, error) {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, f := range t.Files {
		h := &tar.Header{Name: f.Path, Mode: 0o644, Size: int64(len(f.Data)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.Data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func readTar(data []byte) (*source.Tree, error) {
	t := &source.Tree{}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return t, nil
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag != tar.TypeReg {
			return nil, fmt.Errorf("unexpected entry %s", h.Name)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		t.Files = append(t.Files, source.File{Path: h.Name, Data: b})
	}
}
