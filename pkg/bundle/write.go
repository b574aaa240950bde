package bundle

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// onEveryCore calls f for 0 … n-1, on as many goroutines as there are
// cores.
func onEveryCore(n int, f func(i int)) {
	work := make(chan int, n)
	for i := range n {
		work <- i
	}
	close(work)
	var wg sync.WaitGroup
	for range min(n, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for i := range work {
				f(i)
			}
		})
	}
	wg.Wait()
}

// File is a file to write.
type File struct {
	Path string
	Data []byte
}

// WriteFiles writes every file atomically: each is written to a temporary
// file beside it, and only when all are written are they renamed into
// place, in the order given, so a failure leaves every previous file as it
// was. Files whose bytes are unchanged are not rewritten. It returns
// whether each file changed.
//
// Where the system allows (Linux), a temporary file has no name until the
// moment it is renamed into place, so a process killed while writing
// leaves nothing behind; elsewhere it is named .<name>.<pid>-<n>.tmp.
// Either way, temporary files of that pattern that a process no longer
// running left beside the files being written are removed first.
func WriteFiles(files []File) ([]bool, error) {
	changed := make([]bool, len(files))
	temps := make([]*tempFile, len(files))
	cleanup := func() {
		for _, t := range temps {
			if t != nil {
				t.discard()
			}
		}
	}
	for _, f := range files {
		RemoveStaleTemps(f.Path)
	}
	// The files already there are read on every core: a run that changes
	// one bundle of twenty compares the other nineteen.
	same := make([]bool, len(files))
	readErrs := make([]error, len(files))
	onEveryCore(len(files), func(i int) {
		old, err := os.ReadFile(files[i].Path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			readErrs[i] = err
		}
		same[i] = err == nil && bytes.Equal(old, files[i].Data)
	})
	for _, err := range readErrs {
		if err != nil {
			return nil, err // the first file in order that cannot be read
		}
	}
	for i, f := range files {
		if same[i] {
			continue
		}
		dir := filepath.Dir(f.Path)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			cleanup()
			return nil, err
		}
		t, err := createTemp(dir, f.Path)
		if err != nil {
			cleanup()
			return nil, err
		}
		temps[i] = t
		_, werr := t.f.Write(f.Data)
		serr := t.f.Sync()
		if err := errors.Join(werr, serr); err != nil {
			cleanup()
			return nil, fmt.Errorf("write %s: %w", f.Path, err)
		}
		changed[i] = true
	}
	for i, f := range files {
		if temps[i] == nil {
			continue
		}
		if err := temps[i].commit(f.Path); err != nil {
			cleanup()
			return nil, fmt.Errorf("write %s: %w", f.Path, err)
		}
		temps[i] = nil
	}
	return changed, nil
}

// tempFile is a file being written: open, and named (name != "") unless
// the system could create it without a name.
type tempFile struct {
	f    *os.File
	name string
}

var tempCounter atomic.Uint64

// tempName is the name of a temporary file for path: .<name>.<pid>-<n>.tmp
// beside it.
func tempName(path string) string {
	return filepath.Join(filepath.Dir(path), fmt.Sprintf(".%s.%d-%d.tmp", filepath.Base(path), os.Getpid(), tempCounter.Add(1)))
}

// createNamedTemp creates a temporary file for path under its temporary
// name.
func createNamedTemp(path string) (*tempFile, error) {
	for range 100 {
		name := tempName(path)
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &tempFile{f: f, name: name}, nil
	}
	return nil, fmt.Errorf("cannot create a temporary file for %s", path)
}

// commitNamed closes a named temporary file and renames it to path.
func (t *tempFile) commitNamed(path string) error {
	if err := t.f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(t.name, 0o644); err != nil {
		return err
	}
	return os.Rename(t.name, path)
}

// discard closes and removes a temporary file.
func (t *tempFile) discard() {
	t.f.Close()
	if t.name != "" {
		os.Remove(t.name)
	}
}

// staleTemp matches the temporary files WriteFiles names: .<name>.<pid>-<n>.tmp,
// and .<name>.<digits>.tmp, the pattern of ork before 0.x, which carried no
// process id.
var staleTemp = regexp.MustCompile(`^\.(.+)\.(?:(\d+)-\d+|(\d+))\.tmp$`)

// legacyTempAge is how old a temporary file without a process id must be
// before it is taken for a crashed run's.
const legacyTempAge = 10 * time.Minute

// RemoveStaleTemps removes the temporary files for path that WriteFiles in
// a process which no longer runs left beside it (killed before it renamed
// them). WriteFiles does it for every file it is given.
func RemoveStaleTemps(path string) {
	dir, base := filepath.Dir(path), filepath.Base(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		m := staleTemp.FindStringSubmatch(e.Name())
		if m == nil || m[1] != base || !e.Type().IsRegular() {
			continue
		}
		if m[2] != "" {
			pid, err := strconv.Atoi(m[2])
			if err != nil || processRuns(pid) {
				continue
			}
		} else if info, err := e.Info(); err != nil || time.Since(info.ModTime()) < legacyTempAge {
			continue
		}
		os.Remove(filepath.Join(dir, e.Name()))
	}
}
