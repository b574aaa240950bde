package oci

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/memory"

	"github.com/orkdev/ork/pkg/cache"
	"github.com/orkdev/ork/pkg/source"
)

var sample = &source.Tree{Files: []source.File{
	{Path: "b.yaml", Data: []byte("kind: B\n")},
	{Path: "a/x.yaml", Data: []byte("kind: X\n")},
	{Path: "a-b.json", Data: []byte("{}\n")},
}}

// entry describes one tar entry to write.
type entry struct {
	name, link string
	typ        byte
	data       string
}

func tarball(t testing.TB, gz bool, entries ...entry) []byte {
	t.Helper()
	var b bytes.Buffer
	var w io.Writer = &b
	var z *gzip.Writer
	if gz {
		z = gzip.NewWriter(&b)
		w = z
	}
	tw := tar.NewWriter(w)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: typ, Mode: 0o644, Size: int64(len(e.data))}
		if typ != tar.TypeReg {
			h.Size = 0
		}
		if typ == tar.TypeXGlobalHeader {
			h = &tar.Header{Typeflag: typ, PAXRecords: map[string]string{"comment": "ork"}}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			tw.Write([]byte(e.data))
		}
	}
	tw.Close()
	if z != nil {
		z.Close()
	}
	return b.Bytes()
}

func TestArchiveIsReproducible(t *testing.T) {
	first, err := Archive(sample)
	if err != nil {
		t.Fatal(err)
	}
	shuffled := &source.Tree{Files: []source.File{sample.Files[2], sample.Files[0], sample.Files[1]}}
	second, _ := Archive(shuffled)
	if !bytes.Equal(first, second) {
		t.Fatal("the same files in another order gave other bytes")
	}
	z, err := gzip.NewReader(bytes.NewReader(first))
	if err != nil {
		t.Fatal(err)
	}
	if z.Name != "" || !z.ModTime.IsZero() {
		t.Errorf("gzip header has name %q, time %v", z.Name, z.ModTime)
	}
	tr := tar.NewReader(z)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" || !h.ModTime.Equal(time.Unix(0, 0)) || h.Mode != 0o644 {
			t.Errorf("%s: header %+v is not normalised", h.Name, h)
		}
	}
	if got := strings.Join(names, " "); got != "a/x.yaml a-b.json b.yaml" {
		t.Errorf("entries in order %s, want tree order", got)
	}
}

func TestReadArchive(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries []entry
		want    string // paths, or the error
	}{
		{"files and dirs", []entry{{name: "./", typ: tar.TypeDir}, {name: "./a.yaml", data: "a"}, {name: "d/", typ: tar.TypeDir}, {name: "d/b.yaml", data: "b"}}, "a.yaml d/b.yaml"},
		{"links inside", []entry{{name: "a.yaml", data: "a"}, {name: "s.yaml", link: "a.yaml", typ: tar.TypeSymlink}, {name: "d/s2.yaml", link: "../s.yaml", typ: tar.TypeSymlink}, {name: "h.yaml", link: "a.yaml", typ: tar.TypeLink}}, "a.yaml s.yaml d/s2.yaml h.yaml"},
		{"whiteouts and global headers", []entry{{name: "pax", typ: tar.TypeXGlobalHeader}, {name: "d/.wh.old.yaml", data: ""}, {name: "a.yaml", data: "a"}}, "a.yaml"},
		{"dot-dot", []entry{{name: "../a.yaml", data: "a"}}, `archive entry "../a.yaml" leaves the artifact's directory`},
		{"inner dot-dot", []entry{{name: "d/../../a.yaml", data: "a"}}, `archive entry "d/../../a.yaml" leaves the artifact's directory`},
		{"absolute", []entry{{name: "/etc/a.yaml", data: "a"}}, `archive entry "/etc/a.yaml" leaves the artifact's directory (absolute or not a slash path)`},
		{"symlink absolute", []entry{{name: "s.yaml", link: "/etc/passwd", typ: tar.TypeSymlink}}, `archive entry "s.yaml": symlink to "/etc/passwd" leaves the artifact's directory`},
		{"symlink up", []entry{{name: "d/s.yaml", link: "../../x", typ: tar.TypeSymlink}}, `archive entry "d/s.yaml": link to "../../x" leaves the artifact's directory`},
		{"hard link up", []entry{{name: "h.yaml", link: "../x", typ: tar.TypeLink}}, `archive entry "h.yaml": link to "../x" leaves the artifact's directory`},
		{"dangling", []entry{{name: "s.yaml", link: "nowhere.yaml", typ: tar.TypeSymlink}}, `archive entry "s.yaml" links to "nowhere.yaml", which is not a file of the archive`},
		{"link to a directory", []entry{{name: "d/", typ: tar.TypeDir}, {name: "s", link: "d", typ: tar.TypeSymlink}}, `archive entry "s" links to directory "d", which ork does not follow`},
		{"link loop", []entry{{name: "a", link: "b", typ: tar.TypeSymlink}, {name: "b", link: "a", typ: tar.TypeSymlink}}, `archive entry "a" is part of a loop of links`},
		{"device", []entry{{name: "null", typ: tar.TypeChar}}, `archive entry "null" is a device file, which ork refuses`},
		{"block device", []entry{{name: "sda", typ: tar.TypeBlock}}, `archive entry "sda" is a device file, which ork refuses`},
		{"fifo", []entry{{name: "p", typ: tar.TypeFifo}}, `archive entry "p" is a FIFO, which ork refuses`},
		{"a file twice", []entry{{name: "a.yaml", data: "kind: A"}, {name: "a.yaml", data: "kind: Secret"}}, `archive entry "a.yaml" appears twice; ork refuses to choose one`},
		{"a file twice, spelt two ways", []entry{{name: "./d/a.yaml", data: "a"}, {name: "d//a.yaml", data: "b"}}, `archive entry "d/a.yaml" appears twice; ork refuses to choose one`},
		{"a file and a link of one name", []entry{{name: "a.yaml", data: "a"}, {name: "b.yaml", data: "b"}, {name: "a.yaml", link: "b.yaml", typ: tar.TypeSymlink}}, `archive entry "a.yaml" appears twice; ork refuses to choose one`},
		{"a link twice", []entry{{name: "a.yaml", data: "a"}, {name: "s.yaml", link: "a.yaml", typ: tar.TypeSymlink}, {name: "s.yaml", link: "a.yaml", typ: tar.TypeLink}}, `archive entry "s.yaml" appears twice; ork refuses to choose one`},
		{"a directory twice", []entry{{name: "d/", typ: tar.TypeDir}, {name: "d", typ: tar.TypeDir}, {name: "d/a.yaml", data: "a"}}, "d/a.yaml"},
	} {
		for _, gz := range []bool{false, true} {
			files, _, err := ReadArchive(tarball(t, gz, tc.entries...), 1<<20)
			got := ""
			if err != nil {
				got = err.Error()
			} else {
				var names []string
				for _, f := range files {
					names = append(names, f.Path)
				}
				got = strings.Join(names, " ")
			}
			if got != tc.want {
				t.Errorf("%s (gzip %v): got %q, want %q", tc.name, gz, got, tc.want)
			}
			if strings.Contains(tc.want, "leaves") && !errors.Is(err, ErrEscape) {
				t.Errorf("%s: error %v is not ErrEscape", tc.name, err)
			}
		}
	}
}

func TestReadArchiveLimit(t *testing.T) {
	data := tarball(t, true, entry{name: "a.yaml", data: strings.Repeat("a", 600)}, entry{name: "b.yaml", data: strings.Repeat("b", 600)})
	if _, _, err := ReadArchive(data, 1000); !errors.Is(err, ErrTooLarge) {
		t.Errorf("1200 bytes under a 1000-byte limit: %v", err)
	}
	if _, used, err := ReadArchive(data, 1200); err != nil || used != 1200 {
		t.Errorf("1200 bytes under a 1200-byte limit: %d, %v", used, err)
	}
	// A link copies its target, which counts again.
	linked := tarball(t, false, entry{name: "a.yaml", data: strings.Repeat("a", 600)}, entry{name: "h.yaml", link: "a.yaml", typ: tar.TypeLink})
	if _, _, err := ReadArchive(linked, 1000); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a copied link is not counted: %v", err)
	}
	if _, _, err := ReadArchive([]byte{0x1f, 0x8b, 0, 1, 2}, 1000); err == nil || !strings.HasPrefix(err.Error(), "gzip: ") {
		t.Errorf("broken gzip: %v", err)
	}
}

// store is an in-memory registry: oras-go's memory store.
func store(t testing.TB) *memory.Store { return memory.New() }

func push(t testing.TB, s *memory.Store, mediaType string, data []byte) ocispec.Descriptor {
	t.Helper()
	d := content.NewDescriptorFromBytes(mediaType, data)
	if err := s.Push(context.Background(), d, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	return d
}

func pushManifest(t testing.TB, s *memory.Store, m any) ocispec.Descriptor {
	t.Helper()
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return push(t, s, ocispec.MediaTypeImageManifest, data)
}

func image(layers ...ocispec.Descriptor) ocispec.Manifest {
	return ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest, Config: ocispec.DescriptorEmptyJSON, Layers: layers}
}

func paths(a *Artifact) string {
	var names []string
	for _, f := range a.Files {
		names = append(names, f.Path)
	}
	return strings.Join(names, " ")
}

func TestReadFormats(t *testing.T) {
	ctx := context.Background()
	s := store(t)
	titled := func(d ocispec.Descriptor, title string, unpack bool) ocispec.Descriptor {
		d.Annotations = map[string]string{AnnotationTitle: title}
		if unpack {
			d.Annotations[AnnotationUnpack] = "true"
		}
		return d
	}

	// ork's own
	manifestJSON, layer, layerDesc, err := Pack(sample, map[string]string{AnnotationRevision: "abc"})
	if err != nil {
		t.Fatal(err)
	}
	push(t, s, LayerMediaType, layer)
	ork := push(t, s, ocispec.MediaTypeImageManifest, manifestJSON)
	if layerDesc.Annotations != nil {
		t.Error("ork's layer has annotations: a title would make readers take it for a file")
	}
	// oras push of plain files, whatever their media type
	a := titled(push(t, s, "application/x-yaml", []byte("kind: A\n")), "a.yaml", false)
	notes := titled(push(t, s, "application/vnd.oci.image.layer.v1.tar", []byte("notes")), "docs/NOTES.txt", false)
	files := pushManifest(t, s, image(a, notes))
	// oras push of a directory
	dir := titled(push(t, s, ocispec.MediaTypeImageLayerGzip, tarball(t, true, entry{name: "d/", typ: tar.TypeDir}, entry{name: "d/c.yaml", data: "kind: C\n"})), "d", true)
	dirs := pushManifest(t, s, image(dir))
	// flux push artifact: an untitled tar+gzip layer
	flux := push(t, s, "application/vnd.cncf.flux.content.v1.tar+gzip", tarball(t, true, entry{name: "./", typ: tar.TypeDir}, entry{name: "./f.yaml", data: "kind: F\n"}))
	fluxes := pushManifest(t, s, image(flux))
	// an image whose later layer replaces a file of an earlier one
	l1 := push(t, s, ocispec.MediaTypeImageLayer, tarball(t, false, entry{name: "x.yaml", data: "one"}))
	l2 := push(t, s, ocispec.MediaTypeImageLayerGzip, tarball(t, true, entry{name: "x.yaml", data: "two"}))
	layered := pushManifest(t, s, image(l1, l2))

	for _, tc := range []struct {
		name    string
		desc    ocispec.Descriptor
		want    string
		katalog string
	}{
		{"ork", ork, "a/x.yaml a-b.json b.yaml", "a/x.yaml a-b.json b.yaml"},
		{"oras files", files, "a.yaml docs/NOTES.txt", "a.yaml"},
		{"oras directory", dirs, "d/c.yaml", "d/c.yaml"},
		{"flux", fluxes, "f.yaml", "f.yaml"},
		{"layers", layered, "x.yaml", "x.yaml"},
	} {
		got, err := Read(ctx, s, tc.desc, 0)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if paths(got) != tc.want {
			t.Errorf("%s: files %q, want %q", tc.name, paths(got), tc.want)
		}
		k := &Artifact{Files: got.Katalog().Files}
		if paths(k) != tc.katalog {
			t.Errorf("%s: Katalog %q, want %q", tc.name, paths(k), tc.katalog)
		}
		if got.Digest != tc.desc.Digest.String() {
			t.Errorf("%s: digest %s, want %s", tc.name, got.Digest, tc.desc.Digest)
		}
	}
	got, _ := Read(ctx, s, layered, 0)
	if string(got.Files[0].Data) != "two" {
		t.Errorf("a later layer's file does not win: %q", got.Files[0].Data)
	}
}

func TestReadFaults(t *testing.T) {
	ctx := context.Background()
	s := store(t)
	zstd := pushManifest(t, s, image(push(t, s, "application/vnd.oci.image.layer.v1.tar+zstd", []byte("zstd"))))
	jsonLayer := pushManifest(t, s, image(push(t, s, "application/json", []byte("{}"))))
	index := push(t, s, ocispec.MediaTypeImageIndex, []byte(`{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"`+zstd.Digest.String()+`","size":1}]}`))
	empty := pushManifest(t, s, image())
	titleUp := ocispec.Descriptor{MediaType: "text/plain", Digest: digest.FromString("x"), Size: 1, Annotations: map[string]string{AnnotationTitle: "../x.yaml"}}
	push(t, s, "text/plain", []byte("x"))
	up := pushManifest(t, s, image(titleUp))
	big := pushManifest(t, s, image(push(t, s, ocispec.MediaTypeImageLayerGzip, tarball(t, true, entry{name: "a.yaml", data: strings.Repeat("a", 5000)}))))
	// Two layers claiming 2^62 bytes each: their sum overflows int64.
	huge := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: digest.FromString("huge"), Size: 1 << 62}
	overflow := pushManifest(t, s, image(huge, huge))
	bomb := pushManifest(t, s, image(push(t, s, ocispec.MediaTypeImageLayerGzip, tarball(t, true, entry{name: "a.yaml", data: strings.Repeat("a", 1<<20)}))))

	for _, tc := range []struct {
		name  string
		desc  ocispec.Descriptor
		limit int64
		is    error
		msg   string
	}{
		{"zstd", zstd, 0, ErrUnsupported, `has unsupported media type "application/vnd.oci.image.layer.v1.tar+zstd" and no org.opencontainers.image.title annotation; ork reads`},
		{"json", jsonLayer, 0, ErrUnsupported, `unsupported media type "application/json"`},
		{"index", index, 0, ErrUnsupported, "is an image index (1 manifests), not one artifact"},
		{"no layers", empty, 0, nil, "has no layers"},
		{"title escapes", up, 0, ErrEscape, `title "../x.yaml" leaves the artifact's directory`},
		{"over the limit", big, 100, ErrTooLarge, "artifact is larger than the limit"},
		{"sizes that overflow", overflow, 1 << 20, ErrTooLarge, "artifact is larger than the limit"},
		{"expands over the limit", bomb, 64 << 10, ErrTooLarge, "its files add up to more than 64 KiB"},
	} {
		_, err := Read(ctx, s, tc.desc, tc.limit)
		if err == nil || !strings.Contains(err.Error(), tc.msg) || (tc.is != nil && !errors.Is(err, tc.is)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.msg)
		}
	}
}

// lying serves other bytes than those asked for, as a damaged or hostile
// registry would.
type lying struct{ *memory.Store }

func (l lying) Fetch(ctx context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
	rc, err := l.Store.Fetch(ctx, d)
	if err != nil || d.MediaType == ocispec.MediaTypeImageManifest {
		return rc, err
	}
	data, _ := io.ReadAll(rc)
	data[len(data)-1] ^= 0xff
	return io.NopCloser(bytes.NewReader(data)), nil
}

func TestReadDigestMismatch(t *testing.T) {
	s := store(t)
	manifestJSON, layer, _, _ := Pack(sample, nil)
	push(t, s, LayerMediaType, layer)
	desc := push(t, s, ocispec.MediaTypeImageManifest, manifestJSON)
	_, err := Read(context.Background(), lying{s}, desc, 0)
	if !errors.Is(err, ErrDigest) {
		t.Fatalf("tampered layer: %v", err)
	}
}

func TestClientLayoutAndCache(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(filepath.Join(src, "sub"), 0o755)
	os.WriteFile(filepath.Join(src, "a.yaml"), []byte("kind: A\n"), 0o644)
	os.WriteFile(filepath.Join(src, "sub", "b.yaml"), []byte("kind: B\n"), 0o644)
	os.WriteFile(filepath.Join(src, "README.md"), []byte("no"), 0o644)
	c, _ := cache.Open(filepath.Join(dir, "cache"))
	client := &Client{Cache: c}
	layout := "oci-layout:" + filepath.Join(dir, "layout") + ":1.0"
	d1, err := client.Push(ctx, src, layout)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := client.Push(ctx, src, "oci-layout:"+filepath.Join(dir, "other")+":2.0")
	if err != nil || d1 != d2 {
		t.Fatalf("the same directory pushed twice: %s, %s, %v", d1, d2, err)
	}
	if got, err := client.Resolve(ctx, layout); err != nil || got != d1 {
		t.Fatalf("Resolve = %s, %v; want %s", got, err, d1)
	}
	tree, err := client.Tree(ctx, layout, d1)
	if err != nil {
		t.Fatal(err)
	}
	if len(tree.Files) != 2 || tree.Files[0].Path != "a.yaml" || tree.Files[1].Path != "sub/b.yaml" {
		t.Fatalf("tree %+v", tree.Files)
	}
	// Offline, from the cache alone, even with the layout gone.
	os.RemoveAll(filepath.Join(dir, "layout"))
	offline := &Client{Cache: c, Offline: true}
	again, err := offline.Tree(ctx, layout, d1)
	if err != nil || again.Digest() != tree.Digest() {
		t.Fatalf("offline Tree: %v", err)
	}
	if _, err := offline.Tree(ctx, "registry.example.com/a/b:1", "sha256:"+strings.Repeat("0", 64)); !errors.Is(err, ErrOffline) {
		t.Fatalf("offline Tree of what the cache lacks: %v", err)
	}
	if _, err := offline.Resolve(ctx, "registry.example.com/a/b:1"); !errors.Is(err, ErrOffline) {
		t.Fatalf("offline Resolve of a tag: %v", err)
	}
	if got, err := offline.Resolve(ctx, "registry.example.com/a/b@"+d1); err != nil || got != d1 {
		t.Fatalf("offline Resolve of a digest: %s, %v", got, err)
	}
	if _, err := client.Pull(ctx, "oci-layout:"+filepath.Join(dir, "nothing")+":1"); err == nil || !strings.Contains(err.Error(), "is not an OCI image layout") {
		t.Fatalf("Pull from a missing layout: %v", err)
	}
}

func TestWriteDir(t *testing.T) {
	dir := t.TempDir()
	a := &Artifact{Files: []source.File{{Path: "a.yaml", Data: []byte("a")}, {Path: "d/b.yaml", Data: []byte("b")}}}
	out := filepath.Join(dir, "out")
	if err := a.WriteDir(out, false); err != nil {
		t.Fatal(err)
	}
	if err := a.WriteDir(out, false); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("second write: %v", err)
	}
	os.WriteFile(filepath.Join(out, "stale.yaml"), []byte("old"), 0o644)
	if err := a.WriteDir(out, true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, "stale.yaml")); !os.IsNotExist(err) {
		t.Error("--force kept a stale file")
	}
	// A file and a directory of one name: nothing is written.
	bad := &Artifact{Files: []source.File{{Path: "x", Data: []byte("x")}, {Path: "x/y", Data: []byte("y")}}}
	if err := bad.WriteDir(filepath.Join(dir, "bad"), false); err == nil {
		t.Fatal("conflicting paths written")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "out" {
		t.Errorf("left behind: %v", entries)
	}
}

// TestLinkChain reads an archive whose files are a long chain of symlinks:
// every link becomes a copy of the file at the chain's end. (Each link is
// resolved once; before that, 20,000 links took 18 s.)
func TestLinkChain(t *testing.T) {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	tw.WriteHeader(&tar.Header{Name: "f.yaml", Mode: 0o644, Size: 2, Typeflag: tar.TypeReg})
	tw.Write([]byte("a\n"))
	const n = 20000
	for i := range n {
		target := fmt.Sprintf("l%d.yaml", i+1)
		if i == n-1 {
			target = "f.yaml"
		}
		tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("l%d.yaml", i), Typeflag: tar.TypeSymlink, Linkname: target})
	}
	tw.Close()
	files, _, err := ReadArchive(b.Bytes(), 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != n+1 {
		t.Fatalf("%d files, want %d", len(files), n+1)
	}
	for _, f := range files {
		if string(f.Data) != "a\n" {
			t.Fatalf("%s holds %q, want the linked file's content", f.Path, f.Data)
		}
	}
}
