package plan

import (
	"slices"
	"strings"
)

// ImageChange is a container image whose manifest digest moved while the
// image as written (repository and tag) did not: the field diff shows a
// long string that changed; this says a tag was pushed again.
type ImageChange struct {
	Image    string // as written, without the digest
	Old, New string // sha256:... digests
}

// imageChanges finds, among the changed fields of the manifests, image
// fields whose value kept its repository and tag but not its digest. An
// image used in several manifests is listed once.
func imageChanges(manifests []ManifestChange) []ImageChange {
	var out []ImageChange
	for _, m := range manifests {
		for _, f := range m.Fields {
			if f.Action != Change || f.Path != "image" && !strings.HasSuffix(f.Path, ".image") {
				continue
			}
			o, ok1 := f.Old.(string)
			n, ok2 := f.New.(string)
			oi, od, ok3 := strings.Cut(o, "@")
			ni, nd, ok4 := strings.Cut(n, "@")
			if !ok1 || !ok2 || !ok3 || !ok4 || oi != ni || od == nd {
				continue
			}
			c := ImageChange{Image: ni, Old: od, New: nd}
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	slices.SortFunc(out, func(a, b ImageChange) int { return strings.Compare(a.Image+a.Old, b.Image+b.Old) })
	return out
}
