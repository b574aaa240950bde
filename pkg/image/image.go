// Package image builds ork-runtime's container image: one layer holding a
// static binary, run as a non-root user, with no shell or anything else,
// written to an OCI image layout without a container engine. The same
// binary always gives the same image digest: file times, owners and the
// image's creation time are fixed.
package image

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// User is the image's user and group: nobody's, not root.
const User = "65532:65532"

// Spec says what goes into the image.
type Spec struct {
	Binary []byte // the static executable
	Name   string // its file name, at the image's root: the entrypoint
	OS     string // linux
	Arch   string // amd64, arm64, …
	Tag    string // the layout's org.opencontainers.image.ref.name
}

// Image builds the image in memory.
func Image(s Spec) (v1.Image, error) {
	if s.Name == "" || filepath.Base(s.Name) != s.Name {
		return nil, fmt.Errorf("image: binary name %q: want a plain file name", s.Name)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0).UTC()
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: s.Name, Mode: 0o555, Size: int64(len(s.Binary)),
		ModTime: epoch, Format: tar.FormatPAX}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(s.Binary); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.AppendLayers(img, layer)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = s.OS, s.Arch
	cf.Created = v1.Time{Time: epoch}
	cf.Config.User = User
	cf.Config.Entrypoint = []string{"/" + s.Name}
	cf.Config.WorkingDir = "/"
	return mutate.ConfigFile(img, cf)
}

// Write builds the image and writes it as the only image of a new OCI
// layout at dir (replaced whole, by rename), and returns its digest.
func Write(dir string, s Spec) (v1.Hash, error) {
	img, err := Image(s)
	if err != nil {
		return v1.Hash{}, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(dir)), ".image-")
	if err != nil {
		return v1.Hash{}, err
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil { // MkdirTemp makes it 0700
		return v1.Hash{}, err
	}
	p, err := layout.Write(tmp, empty.Index)
	if err != nil {
		return v1.Hash{}, err
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": s.Tag})); err != nil {
		return v1.Hash{}, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return v1.Hash{}, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return v1.Hash{}, err
	}
	return img.Digest()
}
