package bundle

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// File is a file to write.
type File struct {
	Path string
	Data []byte
}

// WriteFiles writes every file atomically: each is written to a temporary
// file beside it, and only when all are written are they renamed into
// place, so a failure leaves every previous file as it was. Files whose
// bytes are unchanged are not rewritten. It returns whether each file
// changed.
func WriteFiles(files []File) ([]bool, error) {
	changed := make([]bool, len(files))
	temps := make([]string, len(files))
	cleanup := func() {
		for _, t := range temps {
			if t != "" {
				os.Remove(t)
			}
		}
	}
	for i, f := range files {
		old, err := os.ReadFile(f.Path)
		if err == nil && bytes.Equal(old, f.Data) {
			continue
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			cleanup()
			return nil, err
		}
		dir := filepath.Dir(f.Path)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			cleanup()
			return nil, err
		}
		tmp, err := os.CreateTemp(dir, "."+filepath.Base(f.Path)+".*.tmp")
		if err != nil {
			cleanup()
			return nil, err
		}
		temps[i] = tmp.Name()
		_, werr := tmp.Write(f.Data)
		serr := tmp.Sync()
		cerr := tmp.Close()
		if err := errors.Join(werr, serr, cerr); err != nil {
			cleanup()
			return nil, fmt.Errorf("write %s: %w", f.Path, err)
		}
		if err := os.Chmod(tmp.Name(), 0o644); err != nil {
			cleanup()
			return nil, err
		}
		changed[i] = true
	}
	for i, f := range files {
		if temps[i] == "" {
			continue
		}
		if err := os.Rename(temps[i], f.Path); err != nil {
			cleanup()
			return nil, fmt.Errorf("write %s: %w", f.Path, err)
		}
		temps[i] = ""
	}
	return changed, nil
}
