package oci

import (
	"context"
	"fmt"
	"strings"
)

// Image is a container image reference as a Kubernetes manifest writes it
// (nginx:1.25, ghcr.io/org/app:2.0, localhost:5000/app@sha256:...), with
// the registry and repository the container runtime reads it as.
type Image struct {
	Written   string // as written
	Reference        // normalised: Registry and Repository are always set; Tag is "latest" when none is written
	Untagged  bool   // neither tag nor digest was written
}

// ParseImage reads an image reference as the container runtimes do: a
// first path component without '.' or ':' that is not localhost names a
// repository of Docker Hub (docker.io; library/ for one-component names),
// a tag follows the last ':' after the last '/', a digest follows '@'.
func ParseImage(s string) (Image, error) {
	img := Image{Written: s}
	fail := func(format string, args ...any) (Image, error) {
		return Image{}, fmt.Errorf("%w %q: %s", ErrReference, s, fmt.Sprintf(format, args...))
	}
	rest := s
	if at := strings.Index(rest, "@"); at >= 0 {
		img.Digest, rest = rest[at+1:], rest[:at]
		if !IsDigest(img.Digest) {
			return fail("the digest must be sha256: and 64 lower-case hex digits")
		}
	}
	slash := strings.LastIndex(rest, "/")
	if colon := strings.LastIndex(rest, ":"); colon > slash {
		img.Tag, rest = rest[colon+1:], rest[:colon]
		if !tagRE.MatchString(img.Tag) {
			return fail("tag %q is not valid (letters, digits, '_', '.' and '-', at most 128, not starting with '.' or '-')", img.Tag)
		}
	}
	host, path, ok := strings.Cut(rest, "/")
	if !ok || !strings.ContainsAny(host, ".:[") && host != "localhost" {
		host, path = "docker.io", rest
	}
	if host == "index.docker.io" {
		host = "docker.io"
	}
	if host == "docker.io" && !strings.Contains(path, "/") {
		path = "library/" + path // Docker Hub's official images, as runtimes name them
	}
	if !hostRE.MatchString(host) {
		return fail("%q is not a valid registry host", host)
	}
	if !repositoryRE.MatchString(path) {
		return fail("repository %q is not valid (lower-case letters, digits and separators)", path)
	}
	img.Registry, img.Repository = host, path
	if img.Tag == "" && img.Digest == "" {
		img.Untagged, img.Tag = true, "latest"
	}
	return img, nil
}

// Pinned is the image as written with the manifest digest appended:
// REPOSITORY:TAG@sha256:... (what a container runtime pulls by digest).
func (i Image) Pinned(digest string) string { return i.Written + "@" + digest }

// ResolveImage returns the digest of the manifest, or of the index of a
// multi-architecture image, that the image's tag names in its registry.
// An image written with a digest resolves to it, unverified.
func (c *Client) ResolveImage(ctx context.Context, img Image) (string, error) {
	if img.Digest != "" {
		return img.Digest, nil
	}
	if c.Offline {
		return "", fmt.Errorf("resolving tag %q of %s needs the registry: %w", img.Tag, img.Name(), ErrOffline)
	}
	repo, err := c.repository(img.Reference)
	if err != nil {
		return "", err
	}
	desc, err := c.resolve(ctx, repo, img.Reference)
	if err != nil {
		return "", err // the caller names the image
	}
	return desc.Digest.String(), nil
}
