// Package komposer reads and checks the Komposer, the composition file that
// names an ork project's sources, environments and bundle.
package komposer

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/orkdev/ork/pkg/fieldpath"
	"github.com/orkdev/ork/pkg/manifest"
	"github.com/orkdev/ork/pkg/schema"
	"github.com/orkdev/ork/pkg/source"
)

// FileName is the Komposer's default file name.
const FileName = "komposer.yaml"

// Komposer is a parsed and checked komposer.yaml.
type Komposer struct {
	Path         string // absolute path of the file
	Display      string // the path as shown in messages
	Dir          string // the directory paths in it are relative to
	Root         string // the repository root no path may leave
	Digest       string // sha256 of the file's bytes as parsed
	Name         string
	Sources      []Source
	Secrets      []string
	Namespaces   []string // pre-existing in every environment's cluster
	Environments []Environment
	Bundle       Bundle
	Overrides    []*manifest.Doc
	// PinImages resolves every container image to a digest, pinned in
	// ork.lock (images: pin: true).
	PinImages bool
	// PreAppliedCRDs (bundle.preAppliedCRDs) names, as plural.group, the
	// CRDs the cluster has before a bundle is applied: a Katalog entry may
	// name them without the bundle holding them.
	PreAppliedCRDs []string
}

// Source is one entry of sources; exactly one of Path, OCI and Git is set.
type Source struct {
	Name string
	Path string
	OCI  string
	Git  *Git
	Pos  manifest.Pos
}

// Git is a git: source.
type Git struct {
	URL  string
	Ref  string
	Path string
}

// Environment is one entry of environments.
type Environment struct {
	Name       string
	Overlays   []string
	Branch     string
	Production bool
	After      string
	Namespaces []string // pre-existing in this environment's cluster, besides the Komposer's
	Pos        manifest.Pos
}

// Bundle names the ConfigMap each bundle holds.
type Bundle struct {
	Name      string
	Namespace string
}

// Environment returns the environment called name.
func (k *Komposer) Environment(name string) (*Environment, bool) {
	for i := range k.Environments {
		if k.Environments[i].Name == name {
			return &k.Environments[i], true
		}
	}
	return nil, false
}

// EnvironmentNames lists the environments in the order they are declared.
func (k *Komposer) EnvironmentNames() []string {
	names := make([]string, len(k.Environments))
	for i, e := range k.Environments {
		names[i] = e.Name
	}
	return names
}

// Find returns the Komposer to use: start itself when it is a file, else
// komposer.yaml in start or the nearest directory above it, stopping at the
// repository root (the first directory holding .git).
func Find(start string) (string, error) {
	abs, err := filepath.Abs(start)
	if err != nil {
		return "", err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("no Komposer at %s: %w", start, err)
	}
	if !st.IsDir() {
		return abs, nil
	}
	for dir := abs; ; {
		p := filepath.Join(dir, FileName)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", fmt.Errorf("no %s in %s or any directory above it up to the repository root; run `ork init` to create one, or pass -f", FileName, start)
}

// RepositoryRoot returns the nearest directory at or above dir holding .git,
// or dir itself outside a Git repository.
func RepositoryRoot(dir string) string {
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return dir
		}
		d = parent
	}
}

// Load reads and checks the Komposer at path. display is how messages name
// the file (a path relative to the working directory).
func Load(path, display string, v *schema.Validator) (*Komposer, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	data, err := source.ReadFile(abs)
	if tl := (*source.FileTooLargeError)(nil); errors.As(err, &tl) {
		return nil, fmt.Errorf("%s: %w", display, err)
	}
	if err != nil {
		return nil, err
	}
	k, err := Parse(display, data, v)
	if err != nil {
		return nil, err
	}
	k.Path = abs
	k.Dir = filepath.Dir(abs)
	k.Root = RepositoryRoot(k.Dir)
	return k, nil
}

// Parse checks a Komposer's bytes against the #Komposer schema and the rules
// a schema cannot say (unique names, one kind per source, the after ladder).
// Every problem found is returned, joined, each at its line.
func Parse(display string, data []byte, v *schema.Validator) (*Komposer, error) {
	docs, err := manifest.Decode(display, "", data)
	if err != nil {
		return nil, err
	}
	if len(docs) != 1 {
		return nil, manifest.Errorf(manifest.Pos{File: display, Line: 1}, "", "a Komposer is one YAML document, found %d", len(docs))
	}
	doc := docs[0]
	completed, violations, err := v.Check("#Komposer", doc.Object)
	if err != nil {
		return nil, err
	}
	if len(violations) > 0 {
		var errs []error
		for _, vio := range violations {
			pos, _ := doc.Position(vio.Path)
			msg := vio.Msg
			if len(vio.Path) > 0 {
				msg = fieldpath.Format(vio.Path, doc.Object) + ": " + msg
			}
			errs = append(errs, manifest.Errorf(pos, "", "%s", msg))
		}
		return nil, errors.Join(errs...)
	}
	var raw struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Sources []struct {
			Name string `json:"name"`
			Path string `json:"path"`
			OCI  string `json:"oci"`
			Git  *Git   `json:"git"`
		} `json:"sources"`
		Secrets      []string `json:"secrets"`
		Namespaces   []string `json:"namespaces"`
		Environments []struct {
			Name       string   `json:"name"`
			Overlays   []string `json:"overlays"`
			Branch     string   `json:"branch"`
			Production bool     `json:"production"`
			After      string   `json:"after"`
			Namespaces []string `json:"namespaces"`
		} `json:"environments"`
		Bundle struct {
			Bundle
			PreAppliedCRDs []string `json:"preAppliedCRDs"`
		} `json:"bundle"`
		Overrides []any `json:"overrides"`
		Images    struct {
			Pin bool `json:"pin"`
		} `json:"images"`
	}
	b, err := json.Marshal(completed)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	k := &Komposer{Display: display, Digest: "sha256:" + hex.EncodeToString(sum[:]), Name: raw.Metadata.Name, Secrets: raw.Secrets, Bundle: raw.Bundle.Bundle, PreAppliedCRDs: raw.Bundle.PreAppliedCRDs, PinImages: raw.Images.Pin, Namespaces: raw.Namespaces}
	var errs []error
	at := func(path ...string) manifest.Pos {
		p, _ := doc.Position(path)
		return p
	}
	sourceNames := map[string]bool{}
	for i, s := range raw.Sources {
		idx := strconv.Itoa(i)
		pos := at("sources", idx)
		set := 0
		for _, x := range []bool{s.Path != "", s.OCI != "", s.Git != nil} {
			if x {
				set++
			}
		}
		if set != 1 {
			errs = append(errs, manifest.Errorf(pos, "", "source %q: give exactly one of path, oci or git (found %d)", s.Name, set))
		}
		if sourceNames[s.Name] {
			errs = append(errs, manifest.Errorf(at("sources", idx, "name"), "", "source %q is declared twice", s.Name))
		}
		sourceNames[s.Name] = true
		k.Sources = append(k.Sources, Source{Name: s.Name, Path: s.Path, OCI: s.OCI, Git: s.Git, Pos: pos})
	}
	secretNames := map[string]bool{}
	for i, s := range raw.Secrets {
		if secretNames[s] {
			errs = append(errs, manifest.Errorf(at("secrets", strconv.Itoa(i)), "", "secret %q is declared twice", s))
		}
		secretNames[s] = true
	}
	envs := map[string]int{}
	for i, e := range raw.Environments {
		pos := at("environments", strconv.Itoa(i))
		if _, dup := envs[e.Name]; dup {
			errs = append(errs, manifest.Errorf(at("environments", strconv.Itoa(i), "name"), "", "environment %q is declared twice", e.Name))
		}
		envs[e.Name] = i
		k.Environments = append(k.Environments, Environment{
			Name: e.Name, Overlays: e.Overlays, Branch: e.Branch, Production: e.Production, After: e.After, Namespaces: e.Namespaces, Pos: pos,
		})
	}
	for i, e := range k.Environments {
		if e.After == "" {
			continue
		}
		if _, ok := envs[e.After]; !ok {
			errs = append(errs, manifest.Errorf(at("environments", strconv.Itoa(i), "after"), "", "environment %q: after names unknown environment %q (known: %s)", e.Name, e.After, strings.Join(k.EnvironmentNames(), ", ")))
			continue
		}
		if cycle := ladderCycle(k, e.Name); cycle != nil {
			errs = append(errs, manifest.Errorf(at("environments", strconv.Itoa(i), "after"), "", "environment %q: after forms a cycle: %s", e.Name, strings.Join(cycle, " -> ")))
		}
	}
	for i := range raw.Overrides {
		d, err := doc.Inline([]string{"overrides", strconv.Itoa(i)}, "overrides")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		k.Overrides = append(k.Overrides, d)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sort.Strings(k.Secrets)
	return k, nil
}

// ladderCycle follows after from name and returns the cycle it finds, or nil.
func ladderCycle(k *Komposer, name string) []string {
	seen := map[string]bool{}
	path := []string{name}
	for cur := name; ; {
		e, ok := k.Environment(cur)
		if !ok || e.After == "" {
			return nil
		}
		if e.After == name {
			return append(path, name)
		}
		if seen[e.After] {
			return nil // a cycle that does not pass through name: reported at its own members
		}
		seen[e.After] = true
		path = append(path, e.After)
		cur = e.After
	}
}

// SecretDeclared reports whether name is in secrets.
func (k *Komposer) SecretDeclared(name string) bool {
	i := sort.SearchStrings(k.Secrets, name)
	return i < len(k.Secrets) && k.Secrets[i] == name
}
