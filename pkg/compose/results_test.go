package compose

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/orkdev/ork/pkg/cache"
	"github.com/orkdev/ork/pkg/komposer"
	"github.com/orkdev/ork/pkg/manifest"
	"github.com/orkdev/ork/pkg/schema"
	"github.com/orkdev/ork/pkg/workload"
)

// keptProject is a Komposer built with and without kept results.
type keptProject struct {
	dir     string // the Komposer's directory: messages are relative to it
	overlay string // an overlay file of the first environment
}

func workloadProject(t *testing.T, size workload.Size) keptProject {
	dir := t.TempDir()
	if err := workload.Write(dir, size); err != nil {
		t.Fatal(err)
	}
	return keptProject{dir: dir, overlay: filepath.Join(dir, "envs", "env-00", "services.yaml")}
}

func demoProject(t *testing.T) keptProject {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../../testdata/demo")); err != nil {
		t.Fatal(err)
	}
	return keptProject{dir: dir, overlay: filepath.Join(dir, "environments", "dev", "hello-world.yaml")}
}

func (p keptProject) bundles(t *testing.T, r *cache.Results) (map[string][]byte, error) {
	t.Helper()
	v := testValidator()
	k, err := komposer.Load(filepath.Join(p.dir, "komposer.yaml"), "komposer.yaml", v)
	if err != nil {
		t.Fatal(err)
	}
	bs, err := Bundles(context.Background(), Options{Komposer: k, Validator: v, WorkDir: p.dir, Results: r})
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, b := range bs {
		out[b.Env.Name] = b.Data
	}
	return out, nil
}

func (p keptProject) mustBundles(t *testing.T, r *cache.Results) map[string][]byte {
	t.Helper()
	out, err := p.bundles(t, r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameBundles(t *testing.T, what string, got, want map[string][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d bundles, want %d", what, len(got), len(want))
	}
	for env, w := range want {
		if !bytes.Equal(got[env], w) {
			t.Errorf("%s: bundle of %s differs from the build without kept results", what, env)
		}
	}
}

func results(t *testing.T, dir, version, schemaDigest string) *cache.Results {
	t.Helper()
	c, err := cache.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Results(version, schemaDigest)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func appendTo(t *testing.T, path, text string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(data, text...), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestKeptResultsSameBytes builds the benchmark workload and the demo
// without kept results and with them (cold, warm, and warm with an input
// changed so that the environment is built again from kept pieces): the
// bundles' bytes must not differ.
func TestKeptResultsSameBytes(t *testing.T) {
	projects := map[string]func(*testing.T) keptProject{
		"workload 50x3": func(t *testing.T) keptProject {
			return workloadProject(t, workload.Size{Services: 50, Environments: 3})
		},
		"workload 200x5": func(t *testing.T) keptProject {
			return workloadProject(t, workload.Size{Services: 200, Environments: 5})
		},
		"demo": demoProject,
	}
	for name, setup := range projects {
		t.Run(name, func(t *testing.T) {
			p := setup(t)
			r := results(t, t.TempDir(), "test", schema.Digest())
			want := p.mustBundles(t, nil)
			sameBundles(t, "cold", p.mustBundles(t, r), want)
			decoded, kept := decodedHits.Load(), bundleHits.Load()
			sameBundles(t, "warm", p.mustBundles(t, r), want)
			if n := bundleHits.Load() - kept; n != int64(len(want)) || decodedHits.Load() != decoded {
				t.Errorf("an unchanged build took %d of %d bundles from the cache and decoded %d pieces; it should have taken them all", n, len(want), decodedHits.Load()-decoded)
			}

			// A comment changes the overlay's bytes, not its manifests:
			// the first environment is built again from kept pieces.
			appendTo(t, p.overlay, "\n# reviewed\n")
			want = p.mustBundles(t, nil)
			decoded = decodedHits.Load()
			sameBundles(t, "pieces kept", p.mustBundles(t, r), want)
			if decodedHits.Load() == decoded {
				t.Errorf("the sources' documents were decoded again")
			}
			if r.Dropped() != 0 {
				t.Errorf("%d entries dropped", r.Dropped())
			}
		})
	}
}

// TestKeptResultsOtherVersion plants a wrong bundle in an entry and shows
// that the ork build and the schemas that wrote it use it, and that
// another ork build or other schemas ignore it.
func TestKeptResultsOtherVersion(t *testing.T) {
	p := workloadProject(t, workload.Size{Services: 20, Environments: 2})
	dir := t.TempDir()
	want := p.mustBundles(t, nil)
	v1 := results(t, dir, "v1+buildid:one", schema.Digest())
	p.mustBundles(t, v1)

	// Replace env-00's bundle entry with other (well-formed) bytes.
	k, err := komposer.Load(filepath.Join(p.dir, "komposer.yaml"), "komposer.yaml", testValidator())
	if err != nil {
		t.Fatal(err)
	}
	b := newBuilder(Options{Komposer: k, Validator: testValidator(), Results: v1}, k)
	if problems := b.prepare(context.Background(), k.Environments); len(problems) > 0 {
		t.Fatal(problems.err())
	}
	inputs, ok := b.inputs(context.Background(), k.Environments[0])
	if !ok {
		t.Fatal("no inputs digest for env-00")
	}
	slot := bundleSlot(Options{Komposer: k}, "env-00")
	payload, ok := v1.Get(slot, inputs)
	if !ok {
		t.Fatal("env-00's bundle was not kept")
	}
	planted := bytes.Replace(payload, []byte("replicas: 1"), []byte("replicas: 7"), 1)
	if bytes.Equal(planted, payload) {
		t.Fatal("nothing to change in the kept bundle")
	}
	if err := v1.Put(slot, inputs, planted); err != nil {
		t.Fatal(err)
	}
	if got := p.mustBundles(t, v1)["env-00"]; bytes.Equal(got, want["env-00"]) {
		t.Fatal("the kept bundle was not used by the version that kept it; this test proves nothing")
	}
	sameBundles(t, "another ork build", p.mustBundles(t, results(t, dir, "v1+buildid:two", schema.Digest())), want)
	sameBundles(t, "another ork version", p.mustBundles(t, results(t, dir, "v2+buildid:one", schema.Digest())), want)
	sameBundles(t, "other schemas", p.mustBundles(t, results(t, dir, "v1+buildid:one", "other-schemas")), want)
}

// TestKeptResultsDamaged damages every kept entry on disk: the build must
// drop them and give the same bytes.
func TestKeptResultsDamaged(t *testing.T) {
	p := workloadProject(t, workload.Size{Services: 20, Environments: 2})
	dir := t.TempDir()
	r := results(t, dir, "test", schema.Digest())
	p.mustBundles(t, r)
	entries, _ := filepath.Glob(filepath.Join(dir, "results", "*", "*"))
	if len(entries) != 5 { // a bundle and a mark of being built per environment, the source's pieces
		t.Fatalf("%d entries kept, want 5: %v", len(entries), entries)
	}
	for _, e := range entries {
		data, err := os.ReadFile(e)
		if err != nil {
			t.Fatal(err)
		}
		data[len(data)-10] ^= 0x20
		if err := os.WriteFile(e, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	appendTo(t, p.overlay, "# so that env-00 is built again\n")
	want := p.mustBundles(t, nil)
	sameBundles(t, "damaged entries", p.mustBundles(t, r), want)
	if r.Dropped() != 5 {
		t.Errorf("%d damaged entries dropped, want 5", r.Dropped())
	}
}

// TestKeptResultsStillValidate breaks one manifest of the warm workload
// with a misspelt field and with a wrong type: the build fails with the
// file and line, the same as without kept results, twice in a row.
func TestKeptResultsStillValidate(t *testing.T) {
	tests := []struct {
		name, from, to string
		want           *regexp.Regexp
	}{
		{"misspelt field", "replicas: 2\n", "replica: 2\n", regexp.MustCompile(`^envs/env-00/services\.yaml:\d+:\d+: Deployment\.apps apps/svc-0001: spec\.replica: field not allowed`)},
		{"wrong type", "replicas: 2\n", "replicas: two\n", regexp.MustCompile(`^envs/env-00/services\.yaml:\d+:\d+: Deployment\.apps apps/svc-0001: spec\.replicas: .*(string|int)`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := workloadProject(t, workload.Size{Services: 50, Environments: 3})
			r := results(t, t.TempDir(), "test", schema.Digest())
			p.mustBundles(t, r) // warm
			data, err := os.ReadFile(p.overlay)
			if err != nil {
				t.Fatal(err)
			}
			// svc-0001's overlay document is the second; its replicas is 2 in env-00.
			docs := strings.SplitN(string(data), "---\n", 3)
			if !strings.Contains(docs[1], tt.from) {
				t.Fatalf("svc-0001's overlay has no %q", tt.from)
			}
			docs[1] = strings.Replace(docs[1], tt.from, tt.to, 1)
			if err := os.WriteFile(p.overlay, []byte(strings.Join(docs, "---\n")), 0o644); err != nil {
				t.Fatal(err)
			}
			_, cold := p.bundles(t, nil)
			if cold == nil || !tt.want.MatchString(cold.Error()) {
				t.Fatalf("without kept results: %v; want a match for %s", cold, tt.want)
			}
			for _, run := range []string{"warm", "again"} {
				decoded := decodedHits.Load()
				_, warm := p.bundles(t, r)
				if warm == nil || warm.Error() != cold.Error() {
					t.Errorf("%s: %v\nwant: %v", run, warm, cold)
				}
				if decodedHits.Load() == decoded {
					t.Errorf("%s: no kept piece used: the build was not warm", run)
				}
			}
		})
	}
}

// TestKeptPieces edits one document of an overlay, twice. Every build
// takes the source's documents from the pieces kept; the overlay's are kept
// from its second decoding on (results.go), so the second edit parses the
// edited document only. Each build gives the bytes of a build without kept
// results.
func TestKeptPieces(t *testing.T) {
	p := workloadProject(t, workload.Size{Services: 20, Environments: 2})
	r := results(t, t.TempDir(), "test", schema.Digest())
	p.mustBundles(t, r)

	// The workload writes its documents "---"-separated, one piece each.
	pieces := func(path string) int64 {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return int64(1 + bytes.Count(data, []byte("\n---\n")))
	}
	sources, _ := filepath.Glob(filepath.Join(p.dir, "base", "*.yaml"))
	var source int64
	for _, f := range sources {
		source += pieces(f)
	}
	for i, want := range []int64{source, source + pieces(p.overlay) - 1} {
		changeReplicas(t, p.overlay, 7+i)
		hits := decodedHits.Load()
		got := p.mustBundles(t, r)
		if n := decodedHits.Load() - hits; n != want {
			t.Errorf("edit %d: %d pieces taken from the kept ones, want %d", i+1, n, want)
		}
		sameBundles(t, fmt.Sprintf("edit %d", i+1), got, p.mustBundles(t, nil))
	}
}

// TestKeptPiecesDuplicate copies a document of an overlay whose pieces are
// all kept: the copy is an identity twice, and the build fails as it does
// without kept results.
func TestKeptPiecesDuplicate(t *testing.T) {
	p := workloadProject(t, workload.Size{Services: 5, Environments: 2})
	r := results(t, t.TempDir(), "test", schema.Digest())
	p.mustBundles(t, r)
	appendTo(t, p.overlay, "# decoded a second time: its pieces are kept\n")
	p.mustBundles(t, r)
	data, err := os.ReadFile(p.overlay)
	if err != nil {
		t.Fatal(err)
	}
	// The last piece again: the overlay is made of the pieces kept, one of
	// them twice.
	last := data[bytes.LastIndex(data, []byte("---\n")):]
	appendTo(t, p.overlay, string(last))
	_, want := p.bundles(t, nil)
	_, got := p.bundles(t, r)
	if want == nil || got == nil || got.Error() != want.Error() {
		t.Fatalf("with kept pieces: %v\nwithout: %v", got, want)
	}
}

// TestPiecesRoundTrip: what encodePieces writes, decodePieces reads back
// whole, whatever the pieces' positions (a document after a long comment
// sits on a line far past its piece's encoded length).
func TestPiecesRoundTrip(t *testing.T) {
	header := strings.Repeat("# licence\n", 100)
	for name, stream := range map[string]string{
		"one document after a long comment": header + "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n",
		"a long comment between documents":  "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\n" + header + "apiVersion: v1\nkind: Service\nmetadata: {name: b}\n",
		"many documents":                    strings.Repeat("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n---\n", 300),
		"empty documents":                   "---\n---\n# only a comment\n---\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, pieces, err := manifest.DecodeKnown("f.yaml", "src", []byte(stream), manifest.Known{})
			if err != nil {
				t.Fatal(err)
			}
			payload, ok := encodePieces(pieces)
			if !ok {
				t.Fatal("pieces do not encode")
			}
			got, err := decodePieces(payload)
			if err != nil {
				t.Fatalf("decodePieces: %v", err)
			}
			if !reflect.DeepEqual(got, pieces) {
				t.Errorf("pieces read back differ: %v, want %v", got, pieces)
			}
		})
	}
}

// TestKeptBundleCurrent: a bundle on disk that is the kept one is taken as
// it is and marked Current (nothing to write); one edited by hand, cut
// short or missing is not, and the kept bundle comes back instead.
func TestKeptBundleCurrent(t *testing.T) {
	p := demoProject(t)
	r := results(t, t.TempDir(), "v1+buildid:aa", schema.Digest())
	want := p.mustBundles(t, nil)
	p.mustBundles(t, r) // keeps every bundle
	for _, tc := range []struct {
		name    string
		current func(env string) []byte
		marked  bool
	}{
		{"the kept bundles", func(env string) []byte { return want[env] }, true},
		{"edited by hand", func(env string) []byte { return bytes.Replace(want[env], []byte("replicas"), []byte("replicaz"), 1) }, false},
		{"cut short", func(env string) []byte { return want[env][:len(want[env])-1] }, false},
		{"missing", func(string) []byte { return nil }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := testValidator()
			k, err := komposer.Load(filepath.Join(p.dir, "komposer.yaml"), "komposer.yaml", v)
			if err != nil {
				t.Fatal(err)
			}
			bs, err := Bundles(context.Background(), Options{Komposer: k, Validator: v, WorkDir: p.dir, Results: r, Current: tc.current})
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range bs {
				if !bytes.Equal(b.Data, want[b.Env.Name]) {
					t.Errorf("%s: bundle differs from the build without kept results", b.Env.Name)
				}
				if b.Current != tc.marked {
					t.Errorf("%s: Current = %v, want %v", b.Env.Name, b.Current, tc.marked)
				}
			}
		})
	}
}
