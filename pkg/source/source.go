// Package source defines what every kind of source resolves to: a
// content-addressed tree of files plus the pin that names its version.
package source

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
)

// File is one file of a tree. Path is slash-separated and relative to the
// tree's root.
type File struct {
	Path string
	Data []byte
}

// Tree is the content of a source: the files ork reads, in lexical path
// order, component by component (the order of filepath.WalkDir).
type Tree struct {
	Files []File
}

// Sort puts the files in tree order.
func (t *Tree) Sort() {
	sort.Slice(t.Files, func(i, j int) bool { return lessPath(t.Files[i].Path, t.Files[j].Path) })
}

// lessPath compares slash-separated paths component by component, as
// filepath.WalkDir visits them ("a/b" before "a-b", unlike a plain string
// comparison).
func lessPath(a, b string) bool {
	ac, bc := strings.Split(a, "/"), strings.Split(b, "/")
	for i := 0; i < len(ac) && i < len(bc); i++ {
		if ac[i] != bc[i] {
			return ac[i] < bc[i]
		}
	}
	return len(ac) < len(bc)
}

// Digest is "sha256:" and the hex sha256 of, for each file in tree order,
// its path, a NUL byte, its length in decimal, a NUL byte and its bytes.
// Equal trees have equal digests whatever machine reads them.
func (t *Tree) Digest() string {
	h := sha256.New()
	for _, f := range t.Files {
		h.Write([]byte(f.Path))
		h.Write([]byte{0})
		h.Write([]byte(strconv.Itoa(len(f.Data))))
		h.Write([]byte{0})
		h.Write(f.Data)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Wanted reports whether a file of this name is part of a Katalog: YAML,
// JSON and CUE files.
func Wanted(name string) bool {
	switch path.Ext(name) {
	case ".yaml", ".yml", ".json", ".cue":
		return true
	}
	return false
}

// MaxFileBytes is the largest file ork reads as a manifest, policy,
// Komposer or lock: 4 MiB. A Kubernetes object is at most 1.5 MiB and a
// bundle's Katalog at most 1 MiB, so a larger file cannot go into a bundle
// anyway; refusing it before it is read or parsed bounds the memory a
// hostile file costs (parsing YAML takes about ten times a file's size).
const MaxFileBytes = 4 << 20

// FileTooLargeError reports a file over MaxFileBytes.
type FileTooLargeError struct {
	Size int64 // at least; -1 when only known to be over
}

func (e *FileTooLargeError) Error() string {
	if e.Size < 0 {
		return fmt.Sprintf("the file is over the %d MiB a file may hold", MaxFileBytes>>20)
	}
	return fmt.Sprintf("the file is %s, over the %d MiB a file may hold", formatSize(e.Size), MaxFileBytes>>20)
}

// CheckSize returns a *FileTooLargeError for a size over MaxFileBytes.
func CheckSize(size int64) error {
	if size > MaxFileBytes {
		return &FileTooLargeError{Size: size}
	}
	return nil
}

// ReadFile reads the file at path after checking that it is at most
// MaxFileBytes; a file that grows while it is read stops at the limit.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		if err := CheckSize(st.Size()); err != nil {
			return nil, err
		}
		// Room for the whole file: read in one call, not grown in steps.
		buf.Grow(int(st.Size()) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(f, MaxFileBytes+1)); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	if len(data) > MaxFileBytes {
		return nil, &FileTooLargeError{Size: -1}
	}
	return data, nil
}

// formatSize writes a byte count for a message: "200.0 MiB".
func formatSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", n)
}
