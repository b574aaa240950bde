package compose

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/orkdev/ork/pkg/cache"
	"github.com/orkdev/ork/pkg/lock"
	"github.com/orkdev/ork/pkg/source/oci"
)

const ociKomposer = `apiVersion: ork.dev/v1alpha1
kind: Komposer
metadata: {name: oci}
sources:
  - name: remote
    oci: registry.invalid/baselines/security:1.4.0
  - name: vendored
    oci: oci-layout:./vendor/baselines:1.4.0
environments:
  - name: dev
bundle: {name: katalog, namespace: platform}
namespaces: [apps]
`

// TestBuildOCI builds from an oci-layout: source (local: read in place,
// recorded by tree digest, never pinned) and a registry source pinned in
// the lock and served from the cache, offline.
func TestBuildOCI(t *testing.T) {
	ctx := context.Background()
	upstream := repo{
		"deploy.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: remote, namespace: apps}\n",
	}.write(t)
	opts := repo{"komposer.yaml": ociKomposer}.options(t)
	c, err := cache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pusher := &oci.Client{Cache: c}
	layout := filepath.Join(opts.Komposer.Dir, "vendor", "baselines")
	if _, err := pusher.Push(ctx, upstream, "oci-layout:"+layout+":1.4.0"); err != nil {
		t.Fatal(err)
	}
	// The registry source's content, cached by manifest digest as a fetch
	// would have left it.
	other := repo{"a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-registry, namespace: apps}\n"}.write(t)
	scratch := filepath.Join(t.TempDir(), "scratch")
	digest, err := pusher.Push(ctx, other, "oci-layout:"+scratch+":1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pusher.Tree(ctx, "oci-layout:"+scratch+":1", digest); err != nil {
		t.Fatal(err)
	}
	opts.Lock = &lock.Lock{}
	opts.Lock.Set("dev", "remote", lock.Pin{Type: "oci", Location: "registry.invalid/baselines/security:1.4.0", ID: digest})
	opts.OCI = &oci.Client{Cache: c, Offline: true}
	opts.Locked = true

	kats, err := Build(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	var names, pins []string
	for _, m := range kats[0].Manifests {
		names = append(names, m["metadata"].(map[string]any)["name"].(string))
	}
	for _, p := range kats[0].Pins {
		pins = append(pins, p.Name+" "+p.Type+" "+p.Location)
	}
	if want := []string{"from-registry", "remote"}; !slices.Equal(names, want) {
		t.Errorf("manifests %q, want %q", names, want)
	}
	if want := []string{"remote oci registry.invalid/baselines/security:1.4.0", "vendored oci-layout oci-layout:./vendor/baselines:1.4.0"}; !slices.Equal(pins, want) {
		t.Errorf("pins %q, want %q", pins, want)
	}
	if kats[0].Pins[0].ID != digest || !strings.HasPrefix(kats[0].Pins[1].ID, "sha256:") {
		t.Errorf("pin ids %q", []string{kats[0].Pins[0].ID, kats[0].Pins[1].ID})
	}
	if _, ok := opts.Lock.Get("dev", "vendored"); ok {
		t.Error("the layout source was pinned")
	}

	// A layout source cannot be locked; the registry one can (nothing to do).
	if _, err := Lock(ctx, opts, LockOptions{Sources: []string{"vendored"}}); err == nil || !strings.Contains(err.Error(), `source "vendored" is an oci-layout: source`) {
		t.Errorf("locking a layout source: %v", err)
	}
	opts.Locked = false
	if _, err := Lock(ctx, opts, LockOptions{Update: true}); err == nil || !strings.Contains(err.Error(), `source "remote": registry.invalid/baselines/security:1.4.0: resolving tag "1.4.0" needs the registry`) {
		t.Errorf("offline lock --update of a tag: %v", err)
	}
	opts.Lock.Set("dev", "remote", lock.Pin{Type: "oci", Location: "registry.invalid/baselines/security:1.4.0", ID: digest})

	// No OCI client: the registry source is an error naming it; the layout
	// still reads.
	opts.OCI = nil
	if _, err := Build(ctx, opts); err == nil || !strings.Contains(err.Error(), `source "remote": no OCI client configured`) {
		t.Errorf("no client: %v", err)
	}
	os.RemoveAll(layout)
	opts.OCI = &oci.Client{Cache: c, Offline: true}
	if _, err := Build(ctx, opts); err == nil || !strings.Contains(err.Error(), `source "vendored": oci-layout:./vendor/baselines:1.4.0: path "./vendor/baselines" does not exist`) {
		t.Errorf("missing layout: %v", err)
	}
}

func TestIsImmutable(t *testing.T) {
	for _, tc := range []struct {
		typ, ref string
		want     bool
	}{
		{"git", "main", false},
		{"git", "0123456789abcdef0123456789abcdef01234567", true},
		{"oci", "ghcr.io/a/b:1.0", false},
		{"oci", "ghcr.io/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true},
		{"oci", "ghcr.io/a/b:1.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true},
	} {
		if got := IsImmutable(tc.typ, tc.ref); got != tc.want {
			t.Errorf("IsImmutable(%s, %s) = %v", tc.typ, tc.ref, got)
		}
	}
}
