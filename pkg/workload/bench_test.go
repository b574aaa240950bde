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
