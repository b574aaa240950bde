package cli

import (
	"crypto/sha256"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"

	"github.com/orkdev/ork/pkg/cache"
	"github.com/orkdev/ork/pkg/schema"
)

// results opens the results store for this ork binary and the embedded
// schemas, or returns nil when --no-cache is given.
func results(g globals, c *cache.Cache) (*cache.Results, error) {
	if g.noCache {
		return nil, nil
	}
	return c.Results(binaryVersion(), schema.Digest())
}

// binaryVersion identifies this ork binary for cached results: its
// version and the Go build ID of the executable, which changes with any
// change to ork's code or its dependencies (a development build has no
// version of its own). Where the build ID cannot be read, the sha256 of the
// executable stands in for it.
func binaryVersion() string {
	versionOnce.Do(func() {
		v := version
		if v == "" {
			v = "devel"
		}
		versionID = v + "+" + executableID()
	})
	return versionID
}

var (
	versionOnce sync.Once
	versionID   string
)

func executableID() string {
	exe, err := os.Executable()
	if err != nil {
		return "unknown"
	}
	if id, ok := goBuildID(exe); ok {
		return "buildid:" + hex.EncodeToString([]byte(id))
	}
	f, err := os.Open(exe)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "unknown"
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// goBuildID reads the Go build ID note of an ELF executable.
func goBuildID(exe string) (string, bool) {
	f, err := elf.Open(exe)
	if err != nil {
		return "", false
	}
	defer f.Close()
	s := f.Section(".note.go.buildid")
	if s == nil {
		return "", false
	}
	data, err := s.Data()
	if err != nil || len(data) < 16 {
		return "", false
	}
	nameSize, descSize := binary.LittleEndian.Uint32(data), binary.LittleEndian.Uint32(data[4:])
	off := 12 + (nameSize+3)&^3
	if nameSize != 4 || string(data[12:16]) != "Go\x00\x00" || uint64(off)+uint64(descSize) > uint64(len(data)) || descSize == 0 {
		return "", false
	}
	return string(data[off : off+descSize]), true
}

// tuneGC trades memory ork has to spare for garbage collection time: most
// of what a build allocates lives briefly, so the collector runs at a
// quarter of its default frequency, and more often only as the heap
// approaches a soft limit: gcLimit, or more for a build that reads much
// YAML or keeps a large heap alive (gcBudget). GOGC and GOMEMLIMIT, when
// set, win.
func tuneGC() {
	gcOnce.Do(func() {
		if os.Getenv("GOGC") == "" {
			debug.SetGCPercent(400)
		}
		if os.Getenv("GOMEMLIMIT") == "" {
			debug.SetMemoryLimit(gcLimit)
			gcBudget.follow()
		}
	})
}

var gcOnce sync.Once

// gcLimit is the least heap size above which the collector runs as if
// GOGC were at its default again: a soft limit, not a cap.
const gcLimit = 112 << 20

// bytesPerRead is the room given to the collector per byte of sources
// and overlays read: a build allocates, and keeps alive, in proportion to
// the YAML it decodes. At 24, every workload up to 500 services × 20
// environments (4.4 MB of YAML) stays at gcLimit.
const bytesPerRead = 24

// softLimit is the soft limit for a live heap of live bytes, in a build
// that has read read bytes of sources and overlays: gcLimit, or room in
// proportion to the work, or room for the build to allocate 1.5 times its
// live heap between collections. A fixed limit would make a workload twice
// as large collect more than twice as often: cost would grow faster than
// the work.
func softLimit(live, read int64) int64 {
	return max(gcLimit, live*5/2, read*bytesPerRead)
}

// gcBudget follows what the build has read (compose.Options.Reading) and
// the live heap.
var gcBudget budget

type budget struct {
	read atomic.Int64
}

func (b *budget) reading(size int) { b.read.Add(int64(size)) }

// follow sets the soft limit after every collection, until stop is called
// (ork never does).
func (b *budget) follow() (stop func()) {
	var stopped atomic.Bool
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var after func(*gcSentinel)
	after = func(*gcSentinel) {
		if stopped.Load() {
			return
		}
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 {
			debug.SetMemoryLimit(softLimit(int64(sample[0].Value.Uint64()), b.read.Load()))
		}
		runtime.SetFinalizer(&gcSentinel{}, after) // for the next collection
	}
	runtime.SetFinalizer(&gcSentinel{}, after)
	return func() { stopped.Store(true) }
}

// gcSentinel is garbage as soon as it is made: its finalizer runs after the
// next collection. It holds a pointer so that it is not a tiny allocation,
// whose finalizer may never run.
type gcSentinel struct{ _ *byte }
