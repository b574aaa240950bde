package workload

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The peer ork is measured against in the same run: cue export of the same
// configuration (schemas, defaults and per-environment overrides) written
// as a CUE module.
const cueModule = "cuelang.org/go/cmd/cue@v0.17.1"

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binaries builds ork from this tree and installs the cue command, once.
func binaries(b *testing.B) (ork, cue string) {
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "ork-bench-")
		if buildErr != nil {
			return
		}
		build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(binDir, "ork"), "../../cmd/ork")
		if out, err := build.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		install := exec.Command("go", "install", cueModule)
		install.Env = append(os.Environ(), "GOBIN="+binDir)
		if out, err := install.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go install %s: %v\n%s", cueModule, err, out)
		}
	})
	if buildErr != nil {
		b.Fatal(buildErr)
	}
	return filepath.Join(binDir, "ork"), filepath.Join(binDir, "cue")
}

// run times one command and returns its wall time and peak resident memory.
func run(b *testing.B, dir string, name string, args ...string) (time.Duration, int64) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	start := time.Now()
	out, err := cmd.CombinedOutput()
	elapsed := time.Since(start)
	if err != nil {
		b.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024
	return elapsed, rss
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkGenerate times `ork generate bundle` for every environment of a
// generated workload, S services x E environments, each environment
// overriding every service, and `cue export` of the same configuration in
// the same run. Run it with make bench; it reports the median wall time,
// the peak resident memory and the ratio to cue export.
func BenchmarkGenerate(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("peak memory comes from Linux rusage")
	}
	ork, cue := binaries(b)
	for _, size := range []Size{{50, 3}, {500, 20}} {
		b.Run(size.String(), func(b *testing.B) {
			dir := b.TempDir()
			if err := Write(dir, size); err != nil {
				b.Fatal(err)
			}
			var orkTimes, cueTimes []time.Duration
			var orkPeak, cuePeak int64
			// The peer is slow; three runs give a median.
			peerRuns := 3
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				d, rss := run(b, dir, ork, "generate", "bundle", "-q")
				orkTimes = append(orkTimes, d)
				orkPeak = max(orkPeak, rss)
				if i < peerRuns {
					b.StopTimer()
					d, rss := run(b, filepath.Join(dir, "cue"), cue, "export", "-e", "manifests", "--out", "yaml", "-o", filepath.Join(dir, "cue-out.yaml"), "-f")
					cueTimes = append(cueTimes, d)
					cuePeak = max(cuePeak, rss)
					b.StartTimer()
				}
			}
			om, cm := median(orkTimes), median(cueTimes)
			b.ReportMetric(om.Seconds(), "s/median")
			b.ReportMetric(float64(orkPeak)/(1<<20), "MiB/peak")
			b.ReportMetric(cm.Seconds(), "cue-s/median")
			b.ReportMetric(float64(cuePeak)/(1<<20), "cue-MiB/peak")
			b.ReportMetric(cm.Seconds()/om.Seconds(), "x-faster-than-cue")
			b.Logf("%s: ork median %v (peak %d MiB) over %d runs; cue export median %v (peak %d MiB) over %d runs; ork is %.1fx faster",
				size, om.Round(time.Millisecond), orkPeak>>20, len(orkTimes), cm.Round(time.Millisecond), cuePeak>>20, len(cueTimes), cm.Seconds()/om.Seconds())
		})
	}
}

// BenchmarkGitSource measures a git: source of 500 manifest files served
// from a local repository (file://): a cold build (fetch into an empty
// cache), a warm build (cache hit), a build of the same files as a path:
// source, and `git clone --depth 1` of the repository, in the same run.
// The target: a warm build adds under 20 ms to the local build.
func BenchmarkGitSource(b *testing.B) {
	if _, err := exec.LookPath("git"); err != nil {
		b.Skip("git is not installed")
	}
	ork, _ := binaries(b)
	dir := b.TempDir()
	upstream := filepath.Join(dir, "upstream")
	if err := Write(upstream, Size{Services: 500, Environments: 1}); err != nil {
		b.Fatal(err)
	}
	gitRun := func(args ...string) {
		cmd := exec.Command("git", args...)
		cmd.Dir = upstream
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=b", "GIT_AUTHOR_EMAIL=b@b", "GIT_COMMITTER_NAME=b", "GIT_COMMITTER_EMAIL=b@b")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	gitRun("init", "-q", "-b", "main")
	gitRun("add", "base")
	gitRun("commit", "-q", "-m", "500 services")

	local := filepath.Join(dir, "local")
	remote := filepath.Join(dir, "remote")
	for _, d := range []string{local, remote} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			b.Fatal(err)
		}
	}
	if err := os.CopyFS(filepath.Join(local, "base"), os.DirFS(filepath.Join(upstream, "base"))); err != nil {
		b.Fatal(err)
	}
	const tail = "environments:\n  - name: dev\nbundle: {name: k, namespace: bench}\n"
	writeFile(b, filepath.Join(local, "komposer.yaml"), "apiVersion: ork.dev/v1alpha1\nkind: Komposer\nmetadata: {name: local}\nsources:\n  - name: base\n    path: ./base\n"+tail)
	writeFile(b, filepath.Join(remote, "komposer.yaml"), "apiVersion: ork.dev/v1alpha1\nkind: Komposer\nmetadata: {name: remote}\nsources:\n  - name: base\n    git: {url: \"file://"+upstream+"\", ref: main, path: base}\n"+tail)

	cache := filepath.Join(dir, "cache")
	generate := func(dir, cacheDir string) time.Duration {
		cmd := exec.Command(ork, "generate", "bundle", "-q", "-o", filepath.Join(dir, "out")+"/")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "ORK_CACHE_DIR="+cacheDir)
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("ork: %v\n%s", err, out)
		}
		return time.Since(start)
	}
	generate(remote, cache) // pins the source in ork.lock and warms the cache

	var localT, coldT, warmT, cloneT []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		localT = append(localT, generate(local, cache))
		warmT = append(warmT, generate(remote, cache))
		coldT = append(coldT, generate(remote, filepath.Join(dir, fmt.Sprintf("cold-%d", i))))
		d, _ := run(b, dir, "git", "clone", "-q", "--depth", "1", "file://"+upstream, filepath.Join(dir, fmt.Sprintf("clone-%d", i)))
		cloneT = append(cloneT, d)
	}
	l, w, c, g := median(localT), median(warmT), median(coldT), median(cloneT)
	b.ReportMetric(l.Seconds()*1000, "local-ms")
	b.ReportMetric(w.Seconds()*1000, "warm-ms")
	b.ReportMetric(c.Seconds()*1000, "cold-ms")
	b.ReportMetric(g.Seconds()*1000, "git-clone-ms")
	b.ReportMetric((w-l).Seconds()*1000, "warm-over-local-ms")
	b.Logf("500 files: local build %v, warm git build %v (+%v), cold git build %v, git clone --depth 1 %v (cold build is %.2fx the clone)",
		l.Round(time.Millisecond), w.Round(time.Millisecond), (w - l).Round(time.Millisecond), c.Round(time.Millisecond), g.Round(time.Millisecond), c.Seconds()/g.Seconds())
}

func writeFile(b *testing.B, path, content string) {
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		b.Fatal(err)
	}
}
