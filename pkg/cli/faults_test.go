package cli

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/orkdev/ork/pkg/bundle"
	"github.com/orkdev/ork/pkg/workload"
)

// faultProject writes the 250-service x 20-environment workload (60 x 20
// under the race detector) with one more source: a Git repository (file://) on branch main, which ork.lock
// pins. It returns the project and a function that commits a new version
// of the Git source.
func faultProject(t *testing.T) (dir string, bump func(v int)) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	top := t.TempDir()
	dir, upstream := filepath.Join(top, "repo"), filepath.Join(top, "upstream")
	size := workload.Size{Services: 250, Environments: 20}
	if raceEnabled {
		size.Services = 60
	}
	if err := workload.Write(dir, size); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, ".git"), 0o755); err != nil { // the repository root
		t.Fatal(err)
	}
	k, err := os.ReadFile(filepath.Join(dir, "komposer.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	k = bytes.Replace(k, []byte("sources:\n"), []byte("sources:\n  - name: shared\n    git: {url: \"file://"+upstream+"\", ref: main}\n"), 1)
	if err := os.WriteFile(filepath.Join(dir, "komposer.yaml"), k, 0o644); err != nil {
		t.Fatal(err)
	}
	git := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-C", upstream}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+top, "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@ork.invalid", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@ork.invalid")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if err := os.MkdirAll(upstream, 0o755); err != nil {
		t.Fatal(err)
	}
	git("init", "-q", "-b", "main")
	bump = func(v int) {
		cm := fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared, namespace: apps}\ndata: {version: \"%d\"}\n", v)
		if err := os.WriteFile(filepath.Join(upstream, "shared.yaml"), []byte(cm), 0o644); err != nil {
			t.Fatal(err)
		}
		git("add", "-A")
		git("commit", "-q", "-m", fmt.Sprint(v))
	}
	bump(0)
	return dir, bump
}

// orkCmd is ork (the test binary, which testscript.Main puts on PATH) in
// dir with its own HOME and cache.
func orkCmd(t *testing.T, dir, cache string, args ...string) *exec.Cmd {
	t.Helper()
	ork, err := exec.LookPath("ork")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(ork, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+filepath.Dir(dir), "ORK_CACHE_DIR="+cache, "NO_COLOR=1")
	return cmd
}

// TestKillGenerate kills `ork generate bundle` with SIGKILL at 20 random
// moments of a run on the 250x20 workload plus a Git source whose branch
// moves before every run (ork.lock is removed, so each run pins it anew).
// After every kill: each bundle is its previous bytes or a complete new
// bundle that verifies; every bundle that records the new Git pin has an
// ork.lock beside it holding that pin (ork.lock is renamed first); no
// temporary file is left in bundles/ or beside ork.lock.
func TestKillGenerate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs ork about 25 times on a 5,000-manifest workload")
	}
	dir, bump := faultProject(t)
	cache := filepath.Join(filepath.Dir(dir), "cache")
	bundles := filepath.Join(dir, "bundles")

	start := time.Now()
	if out, err := orkCmd(t, dir, cache, "generate", "bundle", "-q").CombinedOutput(); err != nil {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	full := time.Since(start)
	t.Logf("a full run takes %v", full.Round(time.Millisecond))

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 15))
	var killedMidway, finished, newSeen, oldSeen, tempsLeft int
	seenTemps := map[string]bool{}
	for i := 1; i <= 20; i++ {
		prev := readDir(t, bundles)
		if err := os.Remove(filepath.Join(dir, "ork.lock")); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		bump(i)
		cmd := orkCmd(t, dir, cache, "generate", "bundle", "-q")
		watchFrom := snapshot(dir, bundles)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		// Odd runs are killed at a random moment; even ones as soon as
		// anything changes in bundles/ or beside ork.lock (a temporary file
		// appears, or the first file is renamed into place): the moment a
		// kill does the most harm.
		var at time.Duration
		var trigger <-chan time.Time
		stop := make(chan struct{})
		if i%2 == 1 {
			at = time.Duration(rng.Int64N(int64(full) * 12 / 10))
			trigger = time.After(at)
		} else {
			trigger = firstChange(stop, watchFrom, dir, bundles)
		}
		start := time.Now()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("run %d failed before the kill: %v", i, err)
			}
			finished++
		case <-trigger:
			cmd.Process.Signal(syscall.SIGKILL)
			at = time.Since(start)
			if err := <-done; err == nil {
				finished++
			} else {
				killedMidway++
			}
		}
		close(stop)

		var newTemps []string
		lock, lockErr := os.ReadFile(filepath.Join(dir, "ork.lock"))
		for name, data := range readDir(t, bundles) {
			if strings.HasSuffix(name, ".tmp") || strings.HasPrefix(name, ".") {
				// Only in the moment between naming a finished temporary
				// file and renaming it into place; the next run removes it.
				if !seenTemps[name] {
					seenTemps[name] = true
					newTemps = append(newTemps, name)
				}
				continue
			}
			if bytes.Equal(data, prev[name]) {
				oldSeen++
				continue
			}
			newSeen++
			b, err := bundle.Load(data)
			if err != nil {
				t.Errorf("kill %d at %v: bundles/%s is neither its previous bytes nor a bundle: %v", i, at, name, err)
				continue
			}
			if err := b.Verify(); err != nil {
				t.Errorf("kill %d at %v: bundles/%s does not verify: %v", i, at, name, err)
			}
			l, err := b.Lock()
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range l.Sources {
				if p.Type == "git" && (lockErr != nil || !bytes.Contains(lock, []byte(p.ID))) {
					t.Errorf("kill %d at %v: bundles/%s records commit %s, which ork.lock does not hold (%v)", i, at, name, p.ID, lockErr)
				}
			}
		}
		for _, e := range readDirNames(t, dir) {
			if strings.HasSuffix(e, ".tmp") && !seenTemps[e] {
				seenTemps[e] = true
				newTemps = append(newTemps, e)
			}
		}
		// A temporary file has a name only between two system calls, one
		// file at a time: a kill leaves at most one (which the next run
		// that writes removes).
		if len(newTemps) > 0 {
			t.Logf("kill %d at %v left %q", i, at, newTemps)
			tempsLeft += len(newTemps)
		}
		if len(newTemps) > 1 {
			t.Errorf("kill %d at %v left %d temporary files, want at most 1: %q", i, at, len(newTemps), newTemps)
		}
	}
	t.Logf("20 runs: %d killed mid-way, %d finished before the kill; bundles seen afterwards: %d previous, %d new and verified; %d temporary files seen right after a kill", killedMidway, finished, oldSeen, newSeen, tempsLeft)

	// A last run completes, and leaves the bundles and ork.lock, and no
	// temporary file.
	if out, err := orkCmd(t, dir, cache, "generate", "bundle", "-q").CombinedOutput(); err != nil {
		t.Fatalf("last run: %v\n%s", err, out)
	}
	if names := readDirNames(t, bundles); len(names) != 20 {
		t.Errorf("bundles/ holds %q, want the 20 bundles", names)
	}
	for _, e := range readDirNames(t, dir) {
		if strings.HasSuffix(e, ".tmp") {
			t.Errorf("the run after the kills left a temporary file: %s", e)
		}
	}
}

// TestConcurrentGenerate runs two `ork generate bundle` at once on one
// project and one cache, four times: each succeeds or fails with a clean
// error, and afterwards every bundle verifies and no temporary file is
// left.
func TestConcurrentGenerate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs ork 8 times on a 5,000-manifest workload")
	}
	dir, bump := faultProject(t)
	cache := filepath.Join(filepath.Dir(dir), "cache")
	for round := 1; round <= 4; round++ {
		bump(round)
		os.Remove(filepath.Join(dir, "ork.lock"))
		var wg sync.WaitGroup
		outs := make([][]byte, 2)
		errs := make([]error, 2)
		for j := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				outs[j], errs[j] = orkCmd(t, dir, cache, "generate", "bundle", "-q").CombinedOutput()
			}()
		}
		wg.Wait()
		for j := range 2 {
			if errs[j] != nil {
				if len(outs[j]) == 0 || bytes.Contains(outs[j], []byte("panic")) {
					t.Errorf("round %d, run %d: %v without a clean message:\n%s", round, j, errs[j], outs[j])
				}
				t.Logf("round %d, run %d failed cleanly: %s", round, j, firstLine(string(outs[j])))
			}
		}
		if errs[0] != nil && errs[1] != nil {
			t.Errorf("round %d: both runs failed", round)
		}
		for name, data := range readDir(t, filepath.Join(dir, "bundles")) {
			b, err := bundle.Load(data)
			if err == nil {
				err = b.Verify()
			}
			if err != nil {
				t.Errorf("round %d: bundles/%s: %v", round, name, err)
			}
		}
		for _, e := range append(readDirNames(t, dir), readDirNames(t, filepath.Join(dir, "bundles"))...) {
			if strings.HasSuffix(e, ".tmp") {
				t.Errorf("round %d: a temporary file is left: %s", round, e)
			}
		}
	}
}

// snapshot lists the names, sizes and modification times of the files in
// dirs.
func snapshot(dirs ...string) string {
	var b strings.Builder
	for _, d := range dirs {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if info, err := e.Info(); err == nil && !e.IsDir() {
				fmt.Fprintf(&b, "%s/%s %d %d\n", d, e.Name(), info.Size(), info.ModTime().UnixNano())
			}
		}
	}
	return b.String()
}

// firstChange fires as soon as a snapshot of dirs differs from from,
// polling until stop is closed, for at most a minute.
func firstChange(stop <-chan struct{}, from string, dirs ...string) <-chan time.Time {
	c := make(chan time.Time, 1)
	go func() {
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Microsecond) {
			select {
			case <-stop:
				return
			default:
			}
			if snapshot(dirs...) != from {
				c <- time.Now()
				return
			}
		}
	}()
	return c
}

func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, name := range readDirNames(t, dir) {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		out[name] = data
	}
	return out
}

func readDirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names
}
