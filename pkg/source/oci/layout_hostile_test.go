package oci

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	orasoci "oras.land/oras-go/v2/content/oci"

	"github.com/orkdev/ork/pkg/cache"
)

// TestLayoutHostileLayers reads OCI image layouts on disk whose one layer
// is a hostile tar: each read is an error naming the entry, and nothing is
// cached.
func TestLayoutHostileLayers(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		entries []entry
		limit   int64
		want    string
	}{
		{"dot-dot", []entry{{name: "../../etc/cron.d/x.yaml", data: "a"}}, 0, `archive entry "../../etc/cron.d/x.yaml" leaves the artifact's directory`},
		{"absolute", []entry{{name: "/etc/passwd.yaml", data: "a"}}, 0, `archive entry "/etc/passwd.yaml" leaves the artifact's directory`},
		{"symlink out", []entry{{name: "k.yaml", link: "../../../root/.kube/config", typ: tar.TypeSymlink}}, 0, `archive entry "k.yaml": link to "../../../root/.kube/config" leaves the artifact's directory`},
		{"absolute symlink", []entry{{name: "k.yaml", link: "/root/.kube/config", typ: tar.TypeSymlink}}, 0, `symlink to "/root/.kube/config" leaves the artifact's directory`},
		{"device", []entry{{name: "dev/mem", typ: tar.TypeChar}}, 0, `archive entry "dev/mem" is a device file, which ork refuses`},
		{"duplicate entries", []entry{{name: "a.yaml", data: "kind: A\n"}, {name: "a.yaml", data: "kind: Secret\n"}}, 0, `archive entry "a.yaml" appears twice`},
		{"oversize layer", []entry{{name: "a.yaml", data: strings.Repeat("a", 1<<20)}}, 64 << 10, "artifact is larger than the limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			layoutDir := filepath.Join(dir, "layout")
			s, err := orasoci.New(layoutDir)
			if err != nil {
				t.Fatal(err)
			}
			pushTo := func(mediaType string, data []byte) ocispec.Descriptor {
				d := content.NewDescriptorFromBytes(mediaType, data)
				if err := s.Push(ctx, d, bytes.NewReader(data)); err != nil {
					t.Fatal(err)
				}
				return d
			}
			pushTo(ocispec.DescriptorEmptyJSON.MediaType, ocispec.DescriptorEmptyJSON.Data)
			layer := pushTo(ocispec.MediaTypeImageLayerGzip, tarball(t, true, tc.entries...))
			m, err := json.Marshal(image(layer))
			if err != nil {
				t.Fatal(err)
			}
			desc := pushTo(ocispec.MediaTypeImageManifest, m)
			if err := s.Tag(ctx, desc, "1"); err != nil {
				t.Fatal(err)
			}
			c, err := cache.Open(filepath.Join(dir, "cache"))
			if err != nil {
				t.Fatal(err)
			}
			client := &Client{Cache: c, MaxSize: tc.limit}
			_, err = client.Tree(ctx, "oci-layout:"+layoutDir+":1", desc.Digest.String())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Tree = %v, want %q", err, tc.want)
			}
			if entries, _ := os.ReadDir(filepath.Join(dir, "cache", "trees")); len(entries) > 0 {
				t.Errorf("the cache holds %d trees after a refused read", len(entries))
			}
		})
	}
}
