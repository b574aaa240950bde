package bundle

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// createTemp creates a temporary file for path in dir without a name
// (O_TMPFILE), so a process killed before commit leaves nothing; it falls
// back to a named one where the file system cannot.
func createTemp(dir, path string) (*tempFile, error) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		return createNamedTemp(path) // no way to name an O_TMPFILE file later
	}
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return createNamedTemp(path)
	}
	return &tempFile{f: os.NewFile(uintptr(fd), path)}, nil
}

// commit gives the temporary file its temporary name, then renames it to
// path: the name exists only between two system calls.
func (t *tempFile) commit(path string) error {
	if t.name != "" {
		return t.commitNamed(path)
	}
	if err := t.f.Chmod(0o644); err != nil {
		return err
	}
	for range 100 {
		name := tempName(path)
		err := unix.Linkat(unix.AT_FDCWD, fmt.Sprintf("/proc/self/fd/%d", t.f.Fd()), unix.AT_FDCWD, name, unix.AT_SYMLINK_FOLLOW)
		if errors.Is(err, unix.EEXIST) {
			continue
		}
		if err != nil {
			return fmt.Errorf("link the temporary file: %w", err)
		}
		t.name = name
		return t.commitNamed(path)
	}
	return fmt.Errorf("cannot name a temporary file for %s", path)
}

// processRuns reports whether a process with this id exists.
func processRuns(pid int) bool {
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
