//go:build !(linux && (amd64 || arm64))

package bundle

import (
	"os"
	"runtime"
	"syscall"
)

// createTemp creates a named temporary file for path in dir.
func createTemp(dir, path string) (*tempFile, error) { return createNamedTemp(path) }

// commit renames the temporary file to path.
func (t *tempFile) commit(path string) error { return t.commitNamed(path) }

// processRuns reports whether a process with this id may exist: where
// signal 0 cannot tell, it says yes, and the file is left.
func processRuns(pid int) bool {
	if runtime.GOOS == "windows" {
		return true
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	return p.Signal(syscall.Signal(0)) == nil
}
