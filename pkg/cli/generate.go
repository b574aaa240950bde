package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/orkdev/ork/pkg/bundle"
	"github.com/orkdev/ork/pkg/compose"
	"github.com/orkdev/ork/pkg/komposer"
	"github.com/orkdev/ork/pkg/lock"
)

func generateCommand() *cli.Command {
	return &cli.Command{
		Name:  "generate",
		Usage: "generate artefacts from the Komposer",
		Subcommands: []*cli.Command{{
			Name:      "bundle",
			Usage:     "build one locked bundle per environment",
			ArgsUsage: " ",
			Flags: withGlobals(
				&cli.StringSliceFlag{Name: "env", EnvVars: []string{"ORK_ENV"}, Usage: "environment to build (repeatable; default: all)"},
				&cli.StringFlag{Name: "output", Aliases: []string{"o"}, EnvVars: []string{"ORK_OUTPUT"}, Usage: "FILE.yaml (one environment), DIR/ (DIR/<env>.yaml) or - (stdout, one environment); default: bundles/ next to the Komposer"},
				ephemeralFlag(),
				&cli.StringFlag{Name: "at", EnvVars: []string{"ORK_AT"}, Usage: "build from the Komposer, overlays, path sources and ork.lock as committed at this Git revision (branch, tag, commit, HEAD~2), without touching the working tree", DefaultText: "the working tree"},
				outputFormatFlag(),
			),
			Action: runGenerate,
		}},
	}
}

func runGenerate(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("generate bundle takes no arguments, got %q", c.Args().Slice())
	}
	format, err := outputFormat(c)
	if err != nil {
		return err
	}
	g := readGlobals(c)
	var p *project
	if rev := c.String("at"); rev != "" {
		p, err = loadProjectAt(g, c.App.ErrWriter, rev)
	} else {
		p, err = loadProject(g, c.App.ErrWriter)
	}
	if err != nil {
		return err
	}
	envs := environments(c)
	out := c.String("output")
	if out == "" {
		out = filepath.Join(p.k.Dir, "bundles") + string(filepath.Separator)
	}
	toDir := strings.HasSuffix(out, "/") || strings.HasSuffix(out, string(filepath.Separator))
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		toDir = true
	}
	if !toDir && len(envs) != 1 && !(len(envs) == 0 && len(p.k.Environments) == 1) {
		return fmt.Errorf("-o %s writes one bundle; choose one environment with --env, or give a directory (-o DIR/)", out)
	}
	if out == "-" && format == "json" {
		return errors.New("-o - writes the bundle to stdout; it cannot also hold --format json")
	}
	pathOf := func(env string) string {
		if toDir {
			return filepath.Join(out, env+".yaml")
		}
		return out
	}
	opts := p.selection(c)
	if out != "-" {
		opts.Current = func(env string) []byte {
			data, err := os.ReadFile(pathOf(env))
			if err != nil {
				return nil // written below, or the error reported there
			}
			return data
		}
	}
	bundles, err := compose.Bundles(c.Context, opts)
	if err != nil {
		return err
	}
	// ork.lock is written with the bundles, in one batch: all or nothing.
	lockFile, err := p.lockFile()
	if err != nil {
		return err
	}
	if out == "-" {
		if lockFile != nil {
			if _, err := bundle.WriteFiles([]bundle.File{*lockFile}); err != nil {
				return err
			}
		}
		_, err := c.App.Writer.Write(bundles[0].Data)
		return err
	}
	files := make([]bundle.File, len(bundles))
	for i, b := range bundles {
		files[i] = bundle.File{Path: pathOf(b.Env.Name), Data: b.Data}
	}
	// ork.lock is renamed into place first: a run killed between renames
	// leaves pins that the next run builds the same bundles from, never a
	// bundle built from pins ork.lock does not hold.
	var batch []bundle.File
	if lockFile != nil {
		batch = append(batch, *lockFile)
	} else if !p.ephemeral {
		bundle.RemoveStaleTemps(p.lockPath) // a killed run's
	}
	var toWrite []int // the bundles not on disk already, by index
	for i, b := range bundles {
		if b.Current {
			bundle.RemoveStaleTemps(files[i].Path) // as WriteFiles would
			continue
		}
		batch = append(batch, files[i])
		toWrite = append(toWrite, i)
	}
	written, err := bundle.WriteFiles(batch)
	if err != nil {
		return err
	}
	changed := make([]bool, len(files))
	for j, i := range toWrite {
		changed[i] = written[len(batch)-len(toWrite)+j]
	}
	p.validator.SaveMemo()
	lockWritten := lockFile != nil
	if g.quiet {
		return nil
	}
	if format == "json" {
		doc := generateJSON{FormatVersion: 1, Lock: relTo(p.workDir, p.lockPath), LockWritten: lockWritten, Bundles: []bundleJSON{}}
		for i, b := range bundles {
			loaded, err := bundle.Load(b.Data)
			if err != nil {
				return fmt.Errorf("environment %s: the built bundle: %w", b.Env.Name, err)
			}
			doc.Bundles = append(doc.Bundles, bundleJSON{Environment: b.Env.Name, Path: relTo(p.workDir, files[i].Path),
				Written: changed[i], Digest: loaded.Digest, Manifests: b.Manifests, CRDs: b.CRDs})
		}
		return writeJSON(c.App.Writer, doc)
	}
	if lockWritten {
		fmt.Fprintf(c.App.Writer, "%s: pins added\n", relTo(p.workDir, p.lockPath))
	}
	for i, b := range bundles {
		state := "unchanged"
		if changed[i] {
			state = "written"
		}
		fmt.Fprintf(c.App.Writer, "%s: %s %s (%s)\n", b.Env.Name, relTo(p.workDir, files[i].Path), state, summary(b.Manifests, b.CRDs))
	}
	return nil
}

// summary counts a Katalog's manifests for one line of output.
func summary(manifests, crds int) string {
	s := fmt.Sprintf("%d manifests", manifests)
	switch {
	case crds == 1:
		s += ", 1 CRD"
	case crds > 1:
		s += fmt.Sprintf(", %d CRDs", crds)
	}
	return s
}

func relTo(wd, path string) string {
	if r, err := filepath.Rel(wd, path); err == nil {
		return filepath.ToSlash(r)
	}
	return path
}

// loadProjectAt loads the project as committed at rev: the Komposer at the
// path -f names (or the nearest komposer.yaml here or above), read from
// that commit with its ork.lock, through Git.
func loadProjectAt(g globals, stderr io.Writer, rev string) (*project, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	var path string
	switch {
	case g.file != "":
		// It may not exist in the working tree any more.
		if path, err = filepath.Abs(g.file); err != nil {
			return nil, err
		}
		if st, err := os.Stat(path); err == nil && st.IsDir() {
			path = filepath.Join(path, komposer.FileName)
		}
	default:
		if path, err = komposer.Find(wd); err != nil {
			path = filepath.Join(wd, komposer.FileName)
		}
	}
	c, results, err := openCache(g)
	if err != nil {
		return nil, err
	}
	v := newValidator(results)
	r, err := compose.OpenRevision(path, rev, v)
	if err != nil {
		return nil, err
	}
	p := &project{k: r.Komposer, validator: v, workDir: wd, g: g, lock: r.Lock, lockPath: lock.Path(path), revision: r.Snapshot, results: results}
	return p, p.connect(c, stderr)
}
