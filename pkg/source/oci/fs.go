package oci

import (
	"bytes"
	"errors"
	"io/fs"
	"path"
	"time"
)

// ReadFileFS makes a file system of a function that reads whole files by
// slash path (such as a Git commit's tree), enough to open an OCI image
// layout with OpenLayout.
func ReadFileFS(readFile func(name string) ([]byte, error)) fs.FS {
	return readFileFS(readFile)
}

type readFileFS func(name string) ([]byte, error)

func (f readFileFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	data, err := f(name)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			err = errors.Join(fs.ErrNotExist, err)
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &memFile{name: path.Base(name), Reader: bytes.NewReader(data), size: int64(len(data))}, nil
}

type memFile struct {
	*bytes.Reader
	name string
	size int64
}

func (m *memFile) Stat() (fs.FileInfo, error) { return m, nil }
func (m *memFile) Close() error               { return nil }
func (m *memFile) Name() string               { return m.name }
func (m *memFile) Size() int64                { return m.size }
func (m *memFile) Mode() fs.FileMode          { return 0o444 }
func (m *memFile) ModTime() time.Time         { return time.Time{} }
func (m *memFile) IsDir() bool                { return false }
func (m *memFile) Sys() any                   { return nil }
