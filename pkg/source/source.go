// Package source defines what every kind of source resolves to: a
// content-addressed tree of files plus the pin that names its version.
package source

import (
	"crypto/sha256"
	"encoding/hex"
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
