package oci

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ErrNotEmpty is returned when WriteDir would replace a directory that
// holds files and force was not given.
var ErrNotEmpty = errors.New("is not empty")

// WriteDir writes the artifact's files below dir, atomically: they are
// written to a temporary directory beside it, which then takes dir's
// place, so a failure leaves dir as it was. An existing dir must be empty
// unless force is set, which replaces it whole.
func (a *Artifact) WriteDir(dir string, force bool) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	exists := false
	if st, err := os.Stat(abs); err == nil {
		if !st.IsDir() {
			return fmt.Errorf("%s exists and is not a directory", dir)
		}
		exists = true
		if !force {
			empty, err := isEmpty(abs)
			if err != nil {
				return err
			}
			if !empty {
				return fmt.Errorf("%s %w; use --force to replace its content", dir, ErrNotEmpty)
			}
		}
	}
	parent := filepath.Dir(abs)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, ".ork-pull-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // gone by then on success
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	for _, f := range a.Files {
		p := filepath.Join(tmp, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("writing %s: %w (a file and a directory of the artifact share a name)", f.Path, err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", f.Path, err)
		}
	}
	if !exists {
		return os.Rename(tmp, abs)
	}
	old, err := os.MkdirTemp(parent, ".ork-old-*")
	if err != nil {
		return err
	}
	keep := false
	defer func() {
		if !keep {
			os.RemoveAll(old)
		}
	}()
	backup := filepath.Join(old, "dir")
	if err := os.Rename(abs, backup); err != nil {
		return err
	}
	if err := os.Rename(tmp, abs); err != nil {
		if rerr := os.Rename(backup, abs); rerr != nil {
			keep = true
			return errors.Join(err, fmt.Errorf("restoring %s: %w (its previous content is in %s)", dir, rerr, backup))
		}
		return err
	}
	return nil
}

func isEmpty(dir string) (bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return false, err
	}
	defer f.Close()
	_, err = f.Readdirnames(1)
	if errors.Is(err, io.EOF) {
		return true, nil
	}
	return false, err
}
