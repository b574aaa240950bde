package plan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/orkdev/ork/pkg/bundle"
)

// ReadFile reads the reference bundle at path; name is how messages show
// it. A missing file is an empty reference (a first run). The bundle must
// verify: a plan against an altered bundle would mislead.
func ReadFile(path, name string) (*Reference, error) {
	data, err := bundle.ReadBytes(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Reference{Name: name}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the bundle to plan against: %w", err)
	}
	return loadVerified(data, name)
}

// loadVerified decodes and verifies a reference bundle.
func loadVerified(data []byte, name string) (*Reference, error) {
	b, err := bundle.Load(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var notes []string
	if err := b.Verify(); errors.Is(err, bundle.ErrOlderFormat) {
		// Everything else verified: the bundle an older ork wrote is still
		// what it planned, and the next one will record its ConfigMap.
		notes = append(notes, fmt.Sprintf("%s was written by an older ork, whose lock.yaml does not record the ConfigMap's name and namespace", name))
	} else if err != nil {
		if errors.Is(err, bundle.ErrTampered) {
			return nil, fmt.Errorf("%s: %w; a plan against it would mislead (regenerate it, or plan against another reference)", name, err)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &Reference{Name: name, Bundle: b, Notes: notes}, nil
}

// ReadGit reads the reference bundle at path as committed at rev, in the
// Git repository that holds path, with the git command. A revision that
// does not exist is an error; a bundle the revision does not hold is an
// empty reference (a first run). name is how messages show the bundle's
// path.
func ReadGit(ctx context.Context, path, name, rev string) (*Reference, error) {
	refName := "git:" + rev
	if rev == "" || strings.HasPrefix(rev, "-") || strings.ContainsAny(rev, "\x00\n") {
		return nil, fmt.Errorf("--against %s: not a Git revision (write git:REV, e.g. git:HEAD or git:origin/main)", refName)
	}
	if _, err := exec.LookPath("git"); err != nil {
		return nil, fmt.Errorf("--against %s needs the git command: %w", refName, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	// git runs in the nearest directory that exists, and names the bundle
	// relative to it ("REV:./bundles/dev.yaml").
	dir, rel := filepath.Dir(abs), filepath.Base(abs)
	for {
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			break
		}
		rel = filepath.Join(filepath.Base(dir), rel)
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil, fmt.Errorf("--against %s: no directory of %s exists", refName, name)
		}
		dir = parent
	}
	if _, err := git(ctx, dir, "rev-parse", "--show-toplevel"); err != nil {
		return nil, fmt.Errorf("--against %s: %s is not in a Git repository", refName, name)
	}
	commit, err := git(ctx, dir, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}")
	if err != nil {
		return nil, fmt.Errorf("--against %s: no such revision %q in the Git repository of %s", refName, rev, name)
	}
	commit = bytes.TrimSpace(commit)
	display := fmt.Sprintf("%s (%s at %s)", name, refName, shortID(string(commit)))
	object := string(commit) + ":./" + filepath.ToSlash(rel)
	if _, err := git(ctx, dir, "cat-file", "-e", object); err != nil {
		return &Reference{Name: display}, nil
	}
	data, err := git(ctx, dir, "cat-file", "blob", object)
	if err != nil {
		return nil, fmt.Errorf("--against %s: reading %s: %w", refName, name, err)
	}
	return loadVerified(data, display)
}

// git runs git in dir and returns its standard output.
func git(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return nil, fmt.Errorf("git %s: %w: %s", args[0], err, msg)
		}
		return nil, fmt.Errorf("git %s: %w", args[0], err)
	}
	return stdout.Bytes(), nil
}
