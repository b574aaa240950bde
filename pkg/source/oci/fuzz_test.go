package oci

import (
	"errors"
	"path"
	"strings"
	"testing"
)

// FuzzParse holds Parse to its grammar: it never panics, and what it
// accepts it prints back in a form it reads to the same reference.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"registry.example.com/baselines/security:1.4.0",
		"localhost:5000/a@" + d64,
		"oci-layout:./vendor/baselines:1.4.0",
		"ubuntu:22.04",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrReference) {
				t.Fatalf("Parse(%q): error %v is not ErrReference", s, err)
			}
			return
		}
		if r.Tag == "" && r.Digest == "" {
			t.Fatalf("Parse(%q) = %+v: neither tag nor digest", s, r)
		}
		if r.Digest != "" && !IsDigest(r.Digest) {
			t.Fatalf("Parse(%q): digest %q", s, r.Digest)
		}
		back, err := Parse(r.String())
		if err != nil || back != r {
			t.Fatalf("Parse(%q) = %+v; Parse(%q) = %+v, %v", s, r, r.String(), back, err)
		}
	})
}

// FuzzReadArchive holds the archive reader to its promises on any bytes:
// no panic, files within the limit, and every path relative, clean and
// inside the artifact.
func FuzzReadArchive(f *testing.F) {
	f.Add(tarball(f, true, entry{name: "a.yaml", data: "kind: A\n"}, entry{name: "s.yaml", link: "a.yaml", typ: '2'}))
	f.Add(tarball(f, false, entry{name: "../a.yaml", data: "x"}))
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit = 1 << 20
		files, used, err := ReadArchive(data, limit)
		if err != nil {
			return
		}
		var total int64
		for _, file := range files {
			p := file.Path
			if p == "" || p == "." || strings.HasPrefix(p, "/") || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") {
				t.Fatalf("path %q escapes or is not clean", p)
			}
			total += int64(len(file.Data))
		}
		if total > limit || used > limit {
			t.Fatalf("%d bytes read (%d counted) under a limit of %d", total, used, limit)
		}
	})
}
