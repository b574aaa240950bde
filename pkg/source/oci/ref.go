// Package oci reads and writes Katalogs stored as OCI artifacts, in a
// registry or in an OCI image layout on disk, with oras-go. It reads ork's
// own format and what other tools publish (plain files pushed by `oras
// push`, tar and tar+gzip layers such as Flux's), verifies every digest,
// refuses archive entries that leave the artifact's directory, and writes
// reproducible artifacts: the same directory gives the same digest.
package oci

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// LayoutPrefix starts the location of an OCI image layout on disk:
// oci-layout:PATH:TAG or oci-layout:PATH@sha256:DIGEST.
const LayoutPrefix = "oci-layout:"

// ErrReference is returned for a location that is not a valid reference.
var ErrReference = errors.New("invalid OCI reference")

// Reference is a parsed OCI location: a registry repository or an OCI image
// layout, and a tag or a digest (or both: the digest wins, the tag is kept
// for messages).
type Reference struct {
	Layout     string // the layout's path (oci-layout:PATH), else empty
	Registry   string // host[:port]
	Repository string
	Tag        string
	Digest     string // sha256:<64 hex>
}

var (
	// As the distribution spec (and oras-go) have them.
	repositoryRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*)*$`)
	tagRE        = regexp.MustCompile(`^[\w][\w.-]{0,127}$`)
	digestRE     = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	hostRE       = regexp.MustCompile(`^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?$`)
)

// IsLayout reports whether location names an OCI image layout on disk.
func IsLayout(location string) bool { return strings.HasPrefix(location, LayoutPrefix) }

// IsDigest reports whether s is a sha256 digest as ork pins them.
func IsDigest(s string) bool { return digestRE.MatchString(s) }

// Parse reads a location: REGISTRY/REPOSITORY:TAG,
// REGISTRY/REPOSITORY@sha256:DIGEST (optionally with a tag before the
// digest), oci-layout:PATH:TAG or oci-layout:PATH@sha256:DIGEST. The
// registry must be named (there is no implicit Docker Hub), and a tag or a
// digest must be given.
func Parse(location string) (Reference, error) {
	var r Reference
	fail := func(format string, args ...any) (Reference, error) {
		return Reference{}, fmt.Errorf("%w %q: %s", ErrReference, location, fmt.Sprintf(format, args...))
	}
	rest := location
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		r.Digest = rest[at+1:]
		rest = rest[:at]
		if !IsDigest(r.Digest) {
			return fail("the digest must be sha256: and 64 lower-case hex digits")
		}
	}
	if path, ok := strings.CutPrefix(rest, LayoutPrefix); ok {
		if colon := strings.LastIndex(path, ":"); colon >= 0 && tagRE.MatchString(path[colon+1:]) && !strings.Contains(path[colon+1:], "/") {
			r.Tag, path = path[colon+1:], path[:colon]
		}
		if path == "" {
			return fail("give the layout's directory: oci-layout:PATH:TAG")
		}
		if r.Tag == "" && r.Digest == "" {
			return fail("give a tag or a digest: oci-layout:PATH:TAG or oci-layout:PATH@sha256:DIGEST")
		}
		r.Layout = path
		return r, nil
	}
	host, path, ok := strings.Cut(rest, "/")
	if !ok || host == "" || path == "" {
		return fail("expected REGISTRY/REPOSITORY:TAG or REGISTRY/REPOSITORY@sha256:DIGEST")
	}
	if !strings.ContainsAny(host, ".:[") && host != "localhost" {
		return fail("%q is not a registry host; name the registry (for Docker Hub, docker.io/%s)", host, rest)
	}
	if !hostRE.MatchString(host) {
		return fail("%q is not a valid registry host", host)
	}
	slash := strings.LastIndex(path, "/")
	if colon := strings.LastIndex(path, ":"); colon > slash {
		r.Tag, path = path[colon+1:], path[:colon]
		if !tagRE.MatchString(r.Tag) {
			return fail("tag %q is not valid (letters, digits, '_', '.' and '-', at most 128, not starting with '.' or '-')", r.Tag)
		}
	}
	if !repositoryRE.MatchString(path) {
		return fail("repository %q is not valid (lower-case letters, digits and separators)", path)
	}
	if r.Tag == "" && r.Digest == "" {
		return fail("give a tag or a digest: %s:TAG or %s@sha256:DIGEST", rest, rest)
	}
	r.Registry, r.Repository = host, path
	return r, nil
}

// Name is the reference without its tag or digest: REGISTRY/REPOSITORY or
// oci-layout:PATH.
func (r Reference) Name() string {
	if r.Layout != "" {
		return LayoutPrefix + r.Layout
	}
	return r.Registry + "/" + r.Repository
}

// Ref is what to resolve: the digest if there is one, else the tag.
func (r Reference) Ref() string {
	if r.Digest != "" {
		return r.Digest
	}
	return r.Tag
}

// String gives the reference back in the form Parse reads.
func (r Reference) String() string {
	s := r.Name()
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// Immutable reports whether the reference names one version forever (it
// has a digest), so that there is nothing to resolve.
func (r Reference) Immutable() bool { return r.Digest != "" }

// IsImmutable reports whether location is a reference with a digest.
func IsImmutable(location string) bool {
	r, err := Parse(location)
	return err == nil && r.Immutable()
}

// plainHTTPByDefault reports whether a registry host is on this machine,
// the one case where ork speaks HTTP without --plain-http.
func plainHTTPByDefault(host string) bool {
	h := host
	if strings.HasPrefix(h, "[") {
		if end := strings.Index(h, "]"); end > 0 {
			h = h[1:end]
		}
	} else if i := strings.LastIndex(h, ":"); i >= 0 {
		h = h[:i]
	}
	return h == "localhost" || h == "127.0.0.1" || h == "::1"
}
