package image

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/layout"
)

func TestWriteReproducible(t *testing.T) {
	spec := Spec{Binary: []byte("\x7fELF not really"), Name: "ork-runtime", OS: "linux", Arch: "amd64", Tag: "latest"}
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	da, err := Write(a, spec)
	if err != nil {
		t.Fatal(err)
	}
	db, err := Write(b, spec)
	if err != nil {
		t.Fatal(err)
	}
	if da != db {
		t.Fatalf("two builds: %s and %s", da, db)
	}
	// rewritten in place: same digest, same files
	if dc, err := Write(a, spec); err != nil || dc != da {
		t.Fatalf("rebuild: %s, %v", dc, err)
	}
	for _, f := range []string{"index.json", "oci-layout"} {
		x, _ := os.ReadFile(filepath.Join(a, f))
		y, _ := os.ReadFile(filepath.Join(b, f))
		if string(x) != string(y) || len(x) == 0 {
			t.Errorf("%s differs between builds", f)
		}
	}
	other := spec
	other.Binary = []byte("\x7fELF changed")
	if dd, err := Write(filepath.Join(dir, "c"), other); err != nil || dd == da {
		t.Errorf("another binary: digest %s, %v", dd, err)
	}
}

func TestImageContents(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "oci")
	want := []byte("binary bytes")
	d, err := Write(dir, Spec{Binary: want, Name: "ork-runtime", OS: "linux", Arch: "arm64", Tag: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	img, err := p.Image(d)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Config.User != User || len(cf.Config.Entrypoint) != 1 || cf.Config.Entrypoint[0] != "/ork-runtime" ||
		cf.OS != "linux" || cf.Architecture != "arm64" || !cf.Created.IsZero() && cf.Created.Unix() != 0 {
		t.Errorf("config: user %q entrypoint %q os %s/%s created %v", cf.Config.User, cf.Config.Entrypoint, cf.OS, cf.Architecture, cf.Created)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers: %d, %v", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
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
		got, _ := io.ReadAll(tr)
		if h.Name != "ork-runtime" || string(got) != string(want) || h.Uid != 0 || h.Mode != 0o555 || h.ModTime.Unix() != 0 {
			t.Errorf("entry %s mode %o mtime %v", h.Name, h.Mode, h.ModTime)
		}
	}
	if len(names) != 1 {
		t.Errorf("layer holds %q, want the binary alone (no shell)", names)
	}
}

func TestImageRejectsPath(t *testing.T) {
	if _, err := Image(Spec{Binary: []byte("x"), Name: "bin/sh"}); err == nil {
		t.Error("a name with a directory was accepted")
	}
}
