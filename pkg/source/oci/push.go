package oci

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	ocilayout "oras.land/oras-go/v2/content/oci"

	"github.com/orkdev/ork/pkg/source"
	"github.com/orkdev/ork/pkg/source/file"
)

// Archive writes a tree as ork's layer: a tar of its files in tree order,
// each with mode 0644, time zero (the Unix epoch), uid and gid 0 and no
// owner names, compressed with gzip without a name or a time. Equal trees
// give equal bytes.
func Archive(t *source.Tree) ([]byte, error) {
	var b bytes.Buffer
	gz, err := gzip.NewWriterLevel(&b, gzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(gz)
	sorted := source.Tree{Files: append([]source.File(nil), t.Files...)}
	sorted.Sort()
	epoch := time.Unix(0, 0)
	for _, f := range sorted.Files {
		h := &tar.Header{Typeflag: tar.TypeReg, Name: f.Path, Mode: 0o644, Size: int64(len(f.Data)), ModTime: epoch}
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
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Pack builds ork's artifact for a tree: the manifest's bytes, its layer's
// bytes and the layer's descriptor. annotations go on the manifest.
func Pack(t *source.Tree, annotations map[string]string) (manifestJSON, layer []byte, layerDesc ocispec.Descriptor, err error) {
	layer, err = Archive(t)
	if err != nil {
		return nil, nil, layerDesc, err
	}
	layerDesc = content.NewDescriptorFromBytes(LayerMediaType, layer)
	m := ocispec.Manifest{
		Versioned:    specs.Versioned{SchemaVersion: 2},
		MediaType:    ocispec.MediaTypeImageManifest,
		ArtifactType: ArtifactType,
		Config:       ocispec.DescriptorEmptyJSON,
		Layers:       []ocispec.Descriptor{layerDesc},
	}
	if len(annotations) > 0 {
		m.Annotations = annotations
	}
	manifestJSON, err = json.Marshal(m) // map keys are sorted: stable bytes
	return manifestJSON, layer, layerDesc, err
}

// Push publishes the manifests below dir (the files an oci: source reads:
// *.yaml, *.yml, *.json and *.cue, no dot-files) as ork's artifact at
// location, which needs a tag, and returns the manifest's digest. When dir
// is in a Git repository, the manifest records its origin
// (org.opencontainers.image.source) and HEAD commit (.revision).
func (c *Client) Push(ctx context.Context, dir, location string) (string, error) {
	r, err := Parse(location)
	if err != nil {
		return "", err
	}
	if r.Digest != "" || r.Tag == "" {
		return "", fmt.Errorf("%s: push needs a tag to publish to (%s:TAG), not a digest", location, r.Name())
	}
	if c.Offline {
		return "", fmt.Errorf("pushing %s needs the registry: --offline forbids it", location)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		return "", fmt.Errorf("%s is not a directory", dir)
	}
	t, _, err := file.Load(abs, abs, ".")
	if err != nil {
		return "", fmt.Errorf("%s: %w", dir, err)
	}
	if len(t.Files) == 0 {
		return "", fmt.Errorf("%s holds no manifests (*.yaml, *.yml, *.json or *.cue files)", dir)
	}
	manifestJSON, layer, layerDesc, err := Pack(t, gitAnnotations(abs))
	if err != nil {
		return "", err
	}
	var target oras.Target
	if r.Layout != "" {
		s, err := ocilayout.NewWithContext(ctx, r.Layout)
		if err != nil {
			return "", fmt.Errorf("%s: %w", location, err)
		}
		target = s
	} else {
		repo, err := c.repository(r)
		if err != nil {
			return "", err
		}
		target = repo
	}
	fail := func(err error) (string, error) {
		return "", fmt.Errorf("pushing %s: %w", location, c.describe(ctx, r, err))
	}
	for _, blob := range []struct {
		desc ocispec.Descriptor
		data []byte
	}{{ocispec.DescriptorEmptyJSON, ocispec.DescriptorEmptyJSON.Data}, {layerDesc, layer}} {
		ok, err := target.Exists(ctx, blob.desc)
		if err != nil {
			return fail(err)
		}
		if !ok {
			if err := target.Push(ctx, blob.desc, bytes.NewReader(blob.data)); err != nil {
				return fail(err)
			}
		}
	}
	desc, err := oras.TagBytes(ctx, target, ocispec.MediaTypeImageManifest, manifestJSON, r.Tag)
	if err != nil {
		return fail(err)
	}
	return desc.Digest.String(), nil
}

// gitAnnotations describes the Git repository dir is in: its origin (with
// any credentials removed) and HEAD commit. Outside a repository, none.
func gitAnnotations(dir string) map[string]string {
	repo, err := gogit.PlainOpenWithOptions(dir, &gogit.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return nil
	}
	a := map[string]string{}
	if head, err := repo.Head(); err == nil {
		a[AnnotationRevision] = head.Hash().String()
	}
	if origin, err := repo.Remote("origin"); err == nil && len(origin.Config().URLs) > 0 {
		a[AnnotationSource] = redact(origin.Config().URLs[0])
	}
	if len(a) == 0 {
		return nil
	}
	return a
}

// redact removes a password or token from a URL.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil || u.Scheme == "" {
		return raw
	}
	u.User = nil
	return u.String()
}
