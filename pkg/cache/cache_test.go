package cache

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/orkdev/ork/pkg/source"
)

func tree() *source.Tree {
	return &source.Tree{Files: []source.File{{Path: "a.yaml", Data: []byte("a: 1\n")}, {Path: "d/b.yaml", Data: []byte("b: 2\n")}}}
}

func TestPutAndGet(t *testing.T) {
	c, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	digest, err := c.PutTree(tree())
	if err != nil {
		t.Fatal(err)
	}
	if digest != tree().Digest() {
		t.Errorf("PutTree = %s, want the tree's digest %s", digest, tree().Digest())
	}
	got, err := c.Tree(digest)
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest() != digest || len(got.Files) != 2 || string(got.Files[1].Data) != "b: 2\n" {
		t.Errorf("Tree returned %+v", got)
	}
	if err := c.Record("git\x00u\x00c\x00p", digest); err != nil {
		t.Fatal(err)
	}
	if d, ok := c.Lookup("git\x00u\x00c\x00p"); !ok || d != digest {
		t.Errorf("Lookup = %q, %v", d, ok)
	}
	if _, ok := c.Lookup("other"); ok {
		t.Errorf("Lookup of an unrecorded key succeeded")
	}
	if _, err := c.Tree("sha256:" + string(make([]byte, 0)) + "0000000000000000000000000000000000000000000000000000000000000000"); !errors.Is(err, ErrMissing) {
		t.Errorf("Tree of an absent digest = %v, want ErrMissing", err)
	}
	if _, err := c.Tree("sha256:xyz"); err == nil {
		t.Errorf("Tree of an invalid digest succeeded")
	}
}

func TestDamagedEntry(t *testing.T) {
	dir := t.TempDir()
	c, _ := Open(dir)
	digest, err := c.PutTree(tree())
	if err != nil {
		t.Fatal(err)
	}
	p, _ := c.treePath(digest)
	data, _ := os.ReadFile(p)
	for i := range data {
		if data[i] == '1' {
			data[i] = '9'
		}
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Tree(digest); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Tree of a damaged entry = %v, want ErrCorrupt", err)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("the damaged entry was not removed")
	}
	if _, err := c.PutTree(tree()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Tree(digest); err != nil {
		t.Errorf("a re-stored entry does not read: %v", err)
	}
}

// TestConcurrentWriters stores the same and different trees from several
// goroutines at once, as several ork processes sharing a cache would, and
// leaves no temporary files behind.
func TestConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	c, _ := Open(dir)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr := tree()
			if i%2 == 1 {
				tr.Files[0].Data = []byte{byte('a' + i)}
			}
			d, err := c.PutTree(tr)
			if err != nil {
				t.Error(err)
				return
			}
			if err := c.Record("k", d); err != nil {
				t.Error(err)
			}
			if _, err := c.Tree(d); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Base(p)[0] == '.' {
			t.Errorf("temporary file left behind: %s", p)
		}
		return nil
	})
	if d, ok := c.Lookup("k"); !ok {
		t.Errorf("Lookup after concurrent records failed")
	} else if _, err := c.Tree(d); err != nil {
		t.Errorf("the recorded tree does not read: %v", err)
	}
}
