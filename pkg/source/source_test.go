package source_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/orkdev/ork/pkg/source"
)

// tricky are paths whose component-by-component order differs from a plain
// string comparison ('-', '.' and '_' sort around '/').
var tricky = []string{
	"a-b.yaml", "a/b.yaml", "a.yaml", "a/a/z.yaml", "a/b/c.yaml", "a.b/c.yaml", "a_b.yaml",
	"b.yaml", "b/c/d.yaml", "B.yaml", "a0.yaml", "a/b-c.yaml", "a/b.c.yaml", "z.yaml", "ab/c.yaml",
}

// walkOrder creates the paths under a temporary directory and returns them
// in the order filepath.WalkDir visits them: the order SPEC promises.
func walkOrder(t *testing.T, paths []string) []string {
	t.Helper()
	dir := t.TempDir()
	for _, p := range paths {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSort(t *testing.T) {
	want := walkOrder(t, tricky)
	if want[0] != "B.yaml" || indexOf(want, "a/b.yaml") > indexOf(want, "a-b.yaml") {
		t.Fatalf("unexpected WalkDir order %q", want)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 20 {
		tree := &source.Tree{}
		for _, p := range tricky {
			tree.Files = append(tree.Files, source.File{Path: p})
		}
		r.Shuffle(len(tree.Files), func(i, j int) { tree.Files[i], tree.Files[j] = tree.Files[j], tree.Files[i] })
		tree.Sort()
		var got []string
		for _, f := range tree.Files {
			got = append(got, f.Path)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Sort =\n%q\nwant (WalkDir order)\n%q", got, want)
		}
	}
}

func indexOf(l []string, s string) int {
	for i, x := range l {
		if x == s {
			return i
		}
	}
	return -1
}

func TestDigest(t *testing.T) {
	tree := func(files ...source.File) *source.Tree { return &source.Tree{Files: files} }
	f := func(path, data string) source.File { return source.File{Path: path, Data: []byte(data)} }

	base := tree(f("a.yaml", "kind: A\n"), f("b/c.yaml", "kind: C\n"))
	d := base.Digest()

	// The documented format: path, NUL, decimal length, NUL, bytes.
	h := sha256.New()
	h.Write([]byte("a.yaml\x008\x00kind: A\nb/c.yaml\x008\x00kind: C\n"))
	if want := "sha256:" + hex.EncodeToString(h.Sum(nil)); d != want {
		t.Errorf("Digest = %s, want %s", d, want)
	}
	if got := tree().Digest(); got != "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("Digest of an empty tree = %s", got)
	}
	if again := tree(f("a.yaml", "kind: A\n"), f("b/c.yaml", "kind: C\n")).Digest(); again != d {
		t.Errorf("equal trees have different digests: %s, %s", d, again)
	}
	for name, other := range map[string]*source.Tree{
		"content changed":      tree(f("a.yaml", "kind: B\n"), f("b/c.yaml", "kind: C\n")),
		"path changed":         tree(f("a.yml", "kind: A\n"), f("b/c.yaml", "kind: C\n")),
		"directory changed":    tree(f("a.yaml", "kind: A\n"), f("c/c.yaml", "kind: C\n")),
		"file added":           tree(f("a.yaml", "kind: A\n"), f("b/c.yaml", "kind: C\n"), f("d.yaml", "")),
		"file removed":         tree(f("a.yaml", "kind: A\n")),
		"empty file added":     tree(f("a.yaml", "kind: A\n"), f("b/c.yaml", "kind: C\n"), f("e.yaml", "")),
		"bytes moved to path":  tree(f("a.yamlk", "ind: A\n"), f("b/c.yaml", "kind: C\n")),
		"files swapped":        tree(f("a.yaml", "kind: C\n"), f("b/c.yaml", "kind: A\n")),
		"trailing newline cut": tree(f("a.yaml", "kind: A"), f("b/c.yaml", "kind: C\n")),
	} {
		if other.Digest() == d {
			t.Errorf("%s: digest unchanged", name)
		}
	}
	// One file's bytes cannot pass for another file's header.
	if tree(f("a", "b\x001\x00c")).Digest() == tree(f("a", "b"), f("", "c")).Digest() {
		t.Errorf("digest is ambiguous between one file and two")
	}
}

func TestWanted(t *testing.T) {
	for name, want := range map[string]bool{
		"a.yaml": true, "a.yml": true, "a.json": true, "a.cue": true, "dir/a.yaml": true,
		"a.txt": false, "a.yaml.bak": false, "README.md": false, "yaml": false, "a.yaml~": false, "Makefile": false,
	} {
		if got := source.Wanted(name); got != want {
			t.Errorf("Wanted(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestReadFileLimit: a file over MaxFileBytes is refused before it is read
// (a sparse 200 MB file costs nothing to refuse); one at the limit is read.
func TestReadFileLimit(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		size int64
		ok   bool
	}{
		{"empty", 0, true},
		{"at the limit", source.MaxFileBytes, true},
		{"one byte over", source.MaxFileBytes + 1, false},
		{"200 MB", 200 << 20, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".yaml")
			f, err := os.Create(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Truncate(tt.size); err != nil {
				t.Fatal(err)
			}
			f.Close()
			data, err := source.ReadFile(p)
			if tt.ok {
				if err != nil || int64(len(data)) != tt.size {
					t.Fatalf("ReadFile = %d bytes, %v; want %d bytes", len(data), err, tt.size)
				}
				return
			}
			var tl *source.FileTooLargeError
			if !errors.As(err, &tl) || tl.Size != tt.size {
				t.Fatalf("ReadFile = %d bytes, %v; want a FileTooLargeError of %d bytes", len(data), err, tt.size)
			}
			if !strings.Contains(err.Error(), "over the 4 MiB a file may hold") {
				t.Errorf("message %q", err)
			}
		})
	}
}
