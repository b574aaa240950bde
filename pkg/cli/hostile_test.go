package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// Bounds of the hostile-input campaign, per case, for the ork process
// (measured with getrusage on the child, not timed on a noisy machine: the
// time bound only catches a hang, the memory bound is the assertion).
const (
	hostileMaxRSS  = 256 << 20 // bytes
	hostileMaxTime = 30 * time.Second
)

// leakCanary is the value of a Secret in every hostile project: it must
// never appear in ork's output.
const leakCanary = "Zq9-canary-hunter2"

// hostileKomposer is the project every case starts from: one path source.
const hostileKomposer = `apiVersion: ork.dev/v1alpha1
kind: Komposer
metadata: {name: hostile}
sources:
  - name: base
    path: ./katalog
namespaces: [apps]
environments:
  - name: dev
bundle: {name: katalog, namespace: platform}
`

const hostileSecret = "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: apps}\nstringData: {password: " + leakCanary + "}\n"

// TestHostileInput runs `ork generate bundle` as a child process on
// projects built to hurt a YAML reader or escape the repository: each must
// exit 1 with a clear message, within the memory bound, writing nothing,
// printing no secret. The table in the README ("Hostile input and faults")
// counts these cases.
func TestHostileInput(t *testing.T) {
	if testing.Short() {
		t.Skip("builds projects of up to 200 MB")
	}
	ork, err := exec.LookPath("ork") // testscript.Main puts the test binary on PATH as ork
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		t.Skip("measures memory with /usr/bin/time, which is not installed")
	}
	deep := func(open, close string, n int) string {
		return strings.Repeat(open, n) + strings.Repeat(close, n)
	}
	bomb := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb, namespace: apps}\nx0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
	for i := 1; i < 12; i++ {
		bomb += fmt.Sprintf("x%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	tests := []struct {
		name  string
		files map[string]string // relative to the project; "LINK:target" makes a symlink
		big   int               // bytes of scalar appended to katalog/big.yaml
		want  string            // in stderr
	}{
		{name: "alias bomb (10^12 nested anchors)", files: map[string]string{"katalog/bomb.yaml": bomb}, want: "too many alias expansions"},
		{name: "alias bomb in the Komposer", files: map[string]string{"komposer.yaml": strings.Replace(bomb, "kind: ConfigMap", "kind: Komposer", 1)}, want: "komposer.yaml"},
		{name: "duplicate keys", files: map[string]string{"katalog/dup.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: apps}\ndata: {k: one}\ndata: {k: two}\n"}, want: `katalog/dup.yaml:5:1: duplicate key "data"`},
		{name: "10,000-deep flow nesting", files: map[string]string{"katalog/deep.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: apps}\ndata: " + deep("[", "]", 10000) + "\n"}, want: "katalog/deep.yaml"},
		{name: "10,000-deep block nesting", files: map[string]string{"katalog/deep.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: apps}\ndata:\n  " + strings.Repeat("- ", 10000) + "x\n"}, want: "katalog/deep.yaml"},
		{name: "10,000-deep JSON", files: map[string]string{"katalog/deep.json": `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "apps"}, "data": ` + deep(`{"a":`, "}", 10000) + "}"}, want: "katalog/deep.json"},
		{name: "invalid UTF-8", files: map[string]string{"katalog/bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: apps}\ndata: {k: \"\xff\xfe\"}\n"}, want: "katalog/bad.yaml"},
		{name: "NUL bytes", files: map[string]string{"katalog/nul.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: apps}\ndata: {k: a\x00b}\n"}, want: "katalog/nul.yaml"},
		{name: "a 200 MB scalar", big: 200 << 20, want: "katalog/big.yaml: the file is 200.0 MiB, over the 4 MiB a file may hold"},
		{name: "a 4 MB scalar, under the file limit", big: 4<<20 - 200, want: "over the 1 MiB (1048576 bytes) ConfigMap limit"},
		{name: "a bare scalar document", files: map[string]string{"katalog/scalar.yaml": "just a string\n"}, want: "katalog/scalar.yaml:1:1"},
		{name: "a path with ..", files: map[string]string{"komposer.yaml": strings.Replace(hostileKomposer, "./katalog", "../outside", 1)}, want: `path "../outside" leaves the repository`},
		{name: "an absolute path", files: map[string]string{"komposer.yaml": strings.Replace(hostileKomposer, "./katalog", "/etc", 1)}, want: `path "/etc" is absolute`},
		{name: "a symlinked file out of the repository", files: map[string]string{"katalog/leak.yaml": "LINK:../../outside/secret.yaml"}, want: "katalog/leak.yaml: symlink leaves the repository"},
		{name: "a symlinked directory out of the repository", files: map[string]string{"katalog/vendor": "LINK:../../outside"}, want: "katalog/vendor: symlink leaves the repository"},
		{name: "a symlink loop", files: map[string]string{"katalog/sub/up": "LINK:.."}, want: "katalog/sub/up: symlink to a directory that contains it (a loop)"},
	}
	type row struct {
		name      string
		code      int
		rss       int64
		took      time.Duration
		stderrLen int
	}
	var rows []row
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			top := t.TempDir()
			dir := filepath.Join(top, "repo")
			files := map[string]string{
				"komposer.yaml":          hostileKomposer,
				"katalog/secret.yaml":    hostileSecret,
				".git/HEAD":              "ref: refs/heads/main\n",
				"../outside/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: outside, namespace: apps}\nstringData: {password: " + leakCanary + "}\n",
			}
			for k, v := range tt.files {
				files[k] = v
			}
			for name, content := range files {
				p := filepath.Join(dir, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if target, ok := strings.CutPrefix(content, "LINK:"); ok {
					if err := os.Symlink(target, p); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if tt.big > 0 {
				writeBigScalar(t, filepath.Join(dir, "katalog", "big.yaml"), tt.big)
			}
			before := listFiles(t, top)

			// /usr/bin/time measures the peak RSS: the rusage of a child Go
			// starts (with vfork) counts the parent's memory too.
			usage := filepath.Join(top, "usage")
			cmd := exec.Command("/usr/bin/time", "-f", "%M", "-o", usage, ork, "generate", "bundle")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "HOME="+top, "ORK_CACHE_DIR="+filepath.Join(top, "cache"), "NO_COLOR=1")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			start := time.Now()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(hostileMaxTime):
				cmd.Process.Kill()
				<-done
				t.Fatalf("ork still ran after %v", hostileMaxTime)
			}
			took := time.Since(start)
			code := cmd.ProcessState.ExitCode()
			out, err := os.ReadFile(usage)
			if err != nil {
				t.Fatal(err)
			}
			os.Remove(usage)
			var rss int64
			if _, err := fmt.Sscanf(lastLine(string(out)), "%d", &rss); err != nil {
				t.Fatalf("/usr/bin/time wrote %q", out)
			}
			rss <<= 10 // KiB
			rows = append(rows, row{tt.name, code, rss, took, stderr.Len()})
			t.Logf("exit %d, %.2f s, max RSS %d MiB: %s", code, took.Seconds(), rss>>20, firstLine(stderr.String()))

			if code != 1 {
				t.Errorf("exit %d, want 1; stderr:\n%s", code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr does not say %q:\n%.2000s", tt.want, stderr.String())
			}
			if strings.Contains(stderr.String(), "panic") || strings.Contains(stderr.String(), "goroutine ") {
				t.Errorf("ork crashed:\n%.2000s", stderr.String())
			}
			if strings.Contains(stdout.String()+stderr.String(), leakCanary) {
				t.Errorf("a secret's value reached the output")
			}
			bound := int64(hostileMaxRSS)
			if raceEnabled {
				// The race detector's shadow memory and its hold on freed
				// memory multiply a process's footprint (Go's docs say 5–10×);
				// the bound is a release build's, so it is scaled here and
				// still catches a runaway.
				bound *= 4
			}
			if rss > bound {
				t.Errorf("max RSS %d MiB, over the %d MiB bound", rss>>20, bound>>20)
			}
			if after := listFiles(t, top); !equalStrings(before, after) {
				t.Errorf("files written: before %q, after %q", before, after)
			}
		})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].rss > rows[j].rss })
	for _, r := range rows {
		t.Logf("%-45s exit %d  %6.2f s  %4d MiB", r.name, r.code, r.took.Seconds(), r.rss>>20)
	}
}

// writeBigScalar writes a ConfigMap whose one value is a plain scalar of n
// bytes.
func writeBigScalar(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	head := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big, namespace: apps}\ndata:\n  blob: "
	if _, err := f.WriteString(head); err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte("x"), 1<<20)
	for left := n - len(head); left > 0; left -= len(chunk) {
		if _, err := f.Write(chunk[:min(left, len(chunk))]); err != nil {
			t.Fatal(err)
		}
	}
}

// listFiles lists every file and directory below dir, but the cache.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "cache" {
			// The cache directory (given by ORK_CACHE_DIR) may keep what
			// earlier runs parsed and built (verified when read): not an
			// output.
			return filepath.SkipDir
		}
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func equalStrings(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
