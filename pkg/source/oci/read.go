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
	"math"
	"path"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"

	"github.com/orkdev/ork/pkg/source"
)

// Media types of ork's own artifacts.
const (
	ArtifactType   = "application/vnd.ork.katalog.v1"
	LayerMediaType = "application/vnd.ork.katalog.layer.v1.tar+gzip"
)

// Annotations ork reads and writes.
const (
	AnnotationTitle    = ocispec.AnnotationTitle // a layer that is one file, and its name
	AnnotationUnpack   = "io.deis.oras.content.unpack"
	AnnotationSource   = ocispec.AnnotationSource
	AnnotationRevision = ocispec.AnnotationRevision
)

const (
	dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	dockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
	ociArtifact    = "application/vnd.oci.artifact.manifest.v1+json"
)

// DefaultMaxSize is the largest artifact ork reads unless told otherwise.
const DefaultMaxSize = 64 << 20

// Errors a caller may test for with errors.Is.
var (
	ErrTooLarge    = errors.New("artifact is larger than the limit")
	ErrEscape      = errors.New("leaves the artifact's directory")
	ErrUnsupported = errors.New("unsupported media type")
	ErrDigest      = errors.New("digest mismatch: the content is not what its digest names")
	ErrNotFound    = errors.New("not found")
)

// readsText lists what ork reads, for the message about what it does not.
const readsText = "ork reads OCI and Docker image manifests whose layers are ork's " + LayerMediaType +
	", tar or tar+gzip archives (application/vnd.oci.image.layer.v1.tar[+gzip], Flux's application/vnd.cncf.flux.content.v1.tar+gzip, ...)" +
	", or files named by an " + AnnotationTitle + " annotation (oras push)"

// Artifact is what an artifact holds: its manifest digest and its files,
// in tree order.
type Artifact struct {
	Digest string
	Files  []source.File
}

// Katalog returns the files of the artifact that a source reads: the
// wanted kinds (YAML, JSON, CUE), without dot-files or files below
// dot-directories, in tree order.
func (a *Artifact) Katalog() *source.Tree {
	t := &source.Tree{}
	for _, f := range a.Files {
		if source.Wanted(f.Path) && !hidden(f.Path) {
			t.Files = append(t.Files, f)
		}
	}
	return t
}

func hidden(p string) bool {
	for _, c := range strings.Split(p, "/") {
		if strings.HasPrefix(c, ".") {
			return true
		}
	}
	return false
}

// manifest is the part of an OCI image manifest, an OCI artifact manifest
// or a Docker schema 2 manifest that ork reads.
type manifest struct {
	MediaType    string               `json:"mediaType"`
	ArtifactType string               `json:"artifactType"`
	Config       ocispec.Descriptor   `json:"config"`
	Layers       []ocispec.Descriptor `json:"layers"`
	Blobs        []ocispec.Descriptor `json:"blobs"` // artifact manifests
	Manifests    []ocispec.Descriptor `json:"manifests"`
}

// Read reads the artifact that desc (its manifest) names from store,
// verifying every digest, refusing an artifact whose manifest and layers
// add up to more than limit bytes, or whose files do.
func Read(ctx context.Context, store content.Fetcher, desc ocispec.Descriptor, limit int64) (*Artifact, error) {
	if limit <= 0 {
		limit = DefaultMaxSize
	}
	if desc.Size > limit {
		return nil, tooLarge(desc.Size, limit)
	}
	raw, err := fetch(ctx, store, desc)
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", desc.Digest, err)
	}
	var m manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("manifest %s is not valid JSON: %w", desc.Digest, err)
	}
	mediaType := desc.MediaType
	if !isManifestType(mediaType) && m.MediaType != "" {
		mediaType = m.MediaType // a layout's digest lookup knows no media type
	}
	switch {
	case mediaType == ocispec.MediaTypeImageIndex || mediaType == dockerList || (mediaType == "" && len(m.Manifests) > 0):
		return nil, fmt.Errorf("%s is an image index (%d manifests), not one artifact: %w; give the digest of one of its manifests", desc.Digest, len(m.Manifests), ErrUnsupported)
	case mediaType == ociArtifact:
		m.Layers = m.Blobs
	case mediaType == ocispec.MediaTypeImageManifest || mediaType == dockerManifest || mediaType == "" || mediaType == "application/octet-stream":
	default:
		return nil, fmt.Errorf("manifest %s has %w %q; %s", desc.Digest, ErrUnsupported, mediaType, readsText)
	}
	total := desc.Size
	for _, l := range m.Layers {
		if l.Size < 0 {
			return nil, fmt.Errorf("layer %s has a negative size", l.Digest)
		}
		if l.Size > limit-total { // compared before adding: no overflow
			return nil, tooLarge(saturatingAdd(total, l.Size), limit)
		}
		total += l.Size
	}
	if total > limit {
		return nil, tooLarge(total, limit)
	}
	if len(m.Layers) == 0 {
		return nil, fmt.Errorf("manifest %s has no layers", desc.Digest)
	}
	// Check every layer before fetching any.
	kinds := make([]layerKind, len(m.Layers))
	for i, l := range m.Layers {
		if kinds[i], err = classify(l); err != nil {
			return nil, err
		}
	}
	a := &Artifact{Digest: desc.Digest.String()}
	files := map[string]int{} // path -> index in a.Files
	add := func(f source.File) {
		if i, ok := files[f.Path]; ok {
			a.Files[i] = f // a later layer's file replaces an earlier one
			return
		}
		files[f.Path] = len(a.Files)
		a.Files = append(a.Files, f)
	}
	budget := limit
	for i, l := range m.Layers {
		data, err := fetch(ctx, store, l)
		if err != nil {
			return nil, fmt.Errorf("layer %s: %w", l.Digest, err)
		}
		switch kinds[i] {
		case plainFile:
			name, err := cleanPath(l.Annotations[AnnotationTitle])
			if err == nil && name == "." {
				err = errors.New("is not a file name")
			}
			if err != nil {
				return nil, fmt.Errorf("layer %s: title %w", l.Digest, err)
			}
			if int64(len(data)) > budget {
				return nil, filesTooLarge(limit)
			}
			budget -= int64(len(data))
			add(source.File{Path: name, Data: data})
		case archive:
			fs, used, err := ReadArchive(data, budget)
			if err != nil {
				if errors.Is(err, ErrTooLarge) {
					return nil, filesTooLarge(limit)
				}
				return nil, fmt.Errorf("layer %s: %w", l.Digest, err)
			}
			budget -= used
			for _, f := range fs {
				add(f)
			}
		}
	}
	t := source.Tree{Files: a.Files}
	t.Sort()
	a.Files = t.Files
	return a, nil
}

func isManifestType(t string) bool {
	switch t {
	case ocispec.MediaTypeImageManifest, ocispec.MediaTypeImageIndex, dockerManifest, dockerList, ociArtifact:
		return true
	}
	return false
}

func tooLarge(size, limit int64) error {
	s, l := FormatSize(size), FormatSize(limit)
	if s == l {
		s, l = fmt.Sprintf("%d bytes", size), fmt.Sprintf("%d bytes", limit)
	}
	return fmt.Errorf("%w: %s, over %s; raise the limit with --max-artifact-size", ErrTooLarge, s, l)
}

func filesTooLarge(limit int64) error {
	return fmt.Errorf("%w: its files add up to more than %s; raise the limit with --max-artifact-size", ErrTooLarge, FormatSize(limit))
}

// fetch reads one blob, checking its size and digest.
func fetch(ctx context.Context, store content.Fetcher, desc ocispec.Descriptor) ([]byte, error) {
	data, err := content.FetchAll(ctx, store, desc)
	switch {
	case errors.Is(err, content.ErrMismatchedDigest):
		return nil, fmt.Errorf("%w (%v)", ErrDigest, err)
	case errors.Is(err, content.ErrTrailingData):
		return nil, fmt.Errorf("%w: it is longer than the %d bytes its descriptor gives", ErrDigest, desc.Size)
	case errors.Is(err, io.ErrUnexpectedEOF) && ctx.Err() == nil:
		return nil, fmt.Errorf("the download was cut short: %w", err)
	}
	return data, err
}

type layerKind int

const (
	plainFile layerKind = iota
	archive
)

// classify says how a layer is read: a titled layer is a file of that name
// (whatever its media type) unless oras marked it as a packed directory;
// an untitled one must be a tar or tar+gzip archive.
func classify(l ocispec.Descriptor) (layerKind, error) {
	if _, ok := l.Annotations[AnnotationTitle]; ok && l.MediaType != LayerMediaType {
		if l.Annotations[AnnotationUnpack] == "true" {
			return archive, nil
		}
		return plainFile, nil
	}
	mt := strings.ToLower(l.MediaType)
	if strings.Contains(mt, "zstd") || !strings.Contains(mt, "tar") {
		return 0, fmt.Errorf("layer %s has %w %q and no %s annotation; %s", l.Digest, ErrUnsupported, l.MediaType, AnnotationTitle, readsText)
	}
	return archive, nil
}

// cleanPath checks that name is a relative path inside the artifact and
// returns it slash-separated and clean.
func cleanPath(name string) (string, error) {
	n := strings.TrimPrefix(name, "./")
	switch {
	case name == "":
		return "", errors.New("is empty")
	case strings.HasPrefix(name, "/") || strings.Contains(name, "\\") || strings.ContainsRune(name, 0):
		return "", fmt.Errorf("%q %w (absolute or not a slash path)", name, ErrEscape)
	}
	c := path.Clean(n)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("%q %w", name, ErrEscape)
	}
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return "", fmt.Errorf("%q %w", name, ErrEscape)
		}
	}
	return c, nil
}

// ReadArchive reads a tar archive, gzip-compressed or not, into files: the
// regular files, with symlinks and hard links to files inside the archive
// resolved to copies. Entries with an absolute path or a '..' component,
// links that point out of the archive, and device files and FIFOs are
// refused, and so are two entries of one name. The files may add up to at most limit bytes; used is how many
// they do.
func ReadArchive(data []byte, limit int64) (files []source.File, used int64, err error) {
	var r io.Reader = bytes.NewReader(data)
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		gz, err := gzip.NewReader(r)
		if err != nil {
			return nil, 0, fmt.Errorf("gzip: %w", err)
		}
		defer gz.Close()
		r = gz
	}
	type link struct {
		name, target string
		hard         bool
	}
	var links []link
	byName := map[string]int{}
	dirs := map[string]bool{}
	entries := map[string]bool{} // the names of files and links
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, used, fmt.Errorf("tar: %w", err)
		}
		if h.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		name, err := cleanPath(h.Name)
		if err != nil {
			return nil, used, fmt.Errorf("archive entry %w", err)
		}
		if strings.HasPrefix(path.Base(name), ".wh.") {
			continue // a whiteout of image layers: nothing to read
		}
		if h.Typeflag != tar.TypeDir {
			// tar keeps the last of two entries of one name; other readers
			// the first: which one is the artifact's is anyone's guess.
			if entries[name] {
				return nil, used, fmt.Errorf("archive entry %q appears twice; ork refuses to choose one", name)
			}
			entries[name] = true
		}
		switch h.Typeflag {
		case tar.TypeDir:
			dirs[name] = true
		case tar.TypeReg, tar.TypeGNUSparse: // archive/tar reads the old TypeRegA as TypeReg
			if name == "." {
				return nil, used, fmt.Errorf("archive entry %q is a file without a name", h.Name)
			}
			if h.Size > limit-used {
				return nil, used, ErrTooLarge
			}
			b, err := io.ReadAll(io.LimitReader(tr, limit-used+1))
			if err != nil {
				return nil, used, fmt.Errorf("tar: %s: %w", name, err)
			}
			if int64(len(b)) > limit-used {
				return nil, used, ErrTooLarge
			}
			used += int64(len(b))
			byName[name] = len(files)
			files = append(files, source.File{Path: name, Data: b})
		case tar.TypeSymlink, tar.TypeLink:
			if name == "." {
				return nil, used, fmt.Errorf("archive entry %q is a link without a name", h.Name)
			}
			hard := h.Typeflag == tar.TypeLink
			target := h.Linkname
			if !hard {
				if strings.HasPrefix(target, "/") {
					return nil, used, fmt.Errorf("archive entry %q: symlink to %q %w", name, target, ErrEscape)
				}
				target = path.Join(path.Dir(name), target)
			}
			t, err := cleanPath(target)
			if err != nil {
				return nil, used, fmt.Errorf("archive entry %q: link to %q %w", name, h.Linkname, ErrEscape)
			}
			links = append(links, link{name: name, target: t, hard: hard})
		case tar.TypeChar, tar.TypeBlock:
			return nil, used, fmt.Errorf("archive entry %q is a device file, which ork refuses", name)
		case tar.TypeFifo:
			return nil, used, fmt.Errorf("archive entry %q is a FIFO, which ork refuses", name)
		default:
			return nil, used, fmt.Errorf("archive entry %q has type %q, which ork does not read", name, string(h.Typeflag))
		}
	}
	// Links become copies of the file they name, through other links. Each
	// chain is followed once: what a link resolves to is remembered, so a
	// long chain costs its length, not its length squared.
	linkTo := map[string]string{}
	for _, l := range links {
		linkTo[l.name] = l.target
	}
	resolved := map[string]string{}
	for _, l := range links {
		target := l.target
		seen := map[string]bool{l.name: true}
		var chain []string
		for {
			if r, ok := resolved[target]; ok {
				target = r
				break
			}
			next, ok := linkTo[target]
			if !ok {
				break
			}
			if seen[target] {
				return nil, used, fmt.Errorf("archive entry %q is part of a loop of links", l.name)
			}
			seen[target] = true
			chain = append(chain, target)
			target = next
		}
		for _, c := range chain {
			resolved[c] = target
		}
		resolved[l.name] = target
		i, ok := byName[target]
		if !ok {
			if dirs[target] {
				return nil, used, fmt.Errorf("archive entry %q links to directory %q, which ork does not follow", l.name, target)
			}
			return nil, used, fmt.Errorf("archive entry %q links to %q, which is not a file of the archive", l.name, target)
		}
		data := files[i].Data
		if int64(len(data)) > limit-used {
			return nil, used, ErrTooLarge
		}
		used += int64(len(data))
		byName[l.name] = len(files)
		files = append(files, source.File{Path: l.name, Data: data})
	}
	return files, used, nil
}

// saturatingAdd adds two non-negative sizes, stopping at the largest int64.
func saturatingAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
