//go:build linux && (amd64 || arm64)

package bundle

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

// oTMPFILE is Linux's O_TMPFILE on amd64 and arm64 (__O_TMPFILE |
// O_DIRECTORY); the syscall package does not name it, and pkg/bundle uses
// the standard library only.
const oTMPFILE = 0x400000 | syscall.O_DIRECTORY

// createTemp creates a temporary file for path in dir without a name
// (O_TMPFILE), so a process killed before commit leaves nothing; it falls
// back to a named one where the file system cannot.
func createTemp(dir, path string) (*tempFile, error) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		return createNamedTemp(path) // no way to name an O_TMPFILE file later
	}
	fd, err := syscall.Open(dir, oTMPFILE|syscall.O_RDWR|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		return createNamedTemp(path)
	}
	return &tempFile{f: os.NewFile(uintptr(fd), path)}, nil
}

// commit gives the temporary file its temporary name, then renames it to
// path: the name exists only between those two system calls.
func (t *tempFile) commit(path string) error {
	if t.name != "" {
		return t.commitNamed(path)
	}
	if err := t.f.Chmod(0o644); err != nil {
		return err
	}
	for range 100 {
		name := tempName(path)
		err := linkat(fmt.Sprintf("/proc/self/fd/%d", t.f.Fd()), name)
		if errors.Is(err, syscall.EEXIST) {
			continue
		}
		if err != nil {
			return fmt.Errorf("link the temporary file: %w", err)
		}
		t.name = name
		if err := os.Rename(name, path); err != nil {
			return err
		}
		t.name = ""
		return t.f.Close()
	}
	return fmt.Errorf("cannot name a temporary file for %s", path)
}

// linkat is linkat(AT_FDCWD, oldpath, AT_FDCWD, newpath, AT_SYMLINK_FOLLOW).
func linkat(oldpath, newpath string) error {
	const atFDCWD, atSymlinkFollow = -100, 0x400
	o, err := syscall.BytePtrFromString(oldpath)
	if err != nil {
		return err
	}
	n, err := syscall.BytePtrFromString(newpath)
	if err != nil {
		return err
	}
	fdcwd := atFDCWD
	_, _, errno := syscall.Syscall6(syscall.SYS_LINKAT, uintptr(fdcwd), uintptr(unsafe.Pointer(o)), uintptr(fdcwd), uintptr(unsafe.Pointer(n)), atSymlinkFollow, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// processRuns reports whether a process with this id exists.
func processRuns(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
