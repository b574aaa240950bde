// Package cli wires ork's commands to the library: each command reads its
// flags into options, calls one pkg/ function and prints the result.
package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/orkdev/ork/pkg/bundle"
	"github.com/orkdev/ork/pkg/cache"
	"github.com/orkdev/ork/pkg/compose"
	"github.com/orkdev/ork/pkg/komposer"
	"github.com/orkdev/ork/pkg/lock"
	"github.com/orkdev/ork/pkg/schema"
	"github.com/orkdev/ork/pkg/source/git"
	"github.com/orkdev/ork/pkg/source/oci"
)

// Exit codes of ork.
const (
	ExitError    = 1
	ExitChanges  = 2
	ExitTampered = 3
)

// exitError carries a specific exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// Run runs ork with args (args[0] is the program name) and returns the exit
// code. Errors are printed here and nowhere else.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	tuneGC()
	app := newApp(stdout, stderr)
	setupCompletion(app, args)
	if n := len(args); n > 1 && args[n-1] == completeFlag {
		// The completion request stays the last argument.
		args = append(flagsFirst(app, args[:n-1]), completeFlag)
	} else {
		args = flagsFirst(app, args)
	}
	err := app.RunContext(ctx, args)
	if err == nil {
		return 0
	}
	code := ExitError
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	if msg := err.Error(); msg != "" {
		fmt.Fprintln(stderr, msg)
	}
	return code
}

func newApp(stdout, stderr io.Writer) *cli.App {
	app := &cli.App{
		Name:      "ork",
		Usage:     "compile a Komposer into one locked bundle per environment",
		Writer:    stdout,
		ErrWriter: stderr,
		Flags: append(globalFlags(true),
			&cli.BoolFlag{Name: "version", Usage: "print ork's version, as the version command does"},
			cli.HelpFlag),
		EnableBashCompletion: true,
		ExitErrHandler:       func(*cli.Context, error) {},
		Action:               unknownCommand,
		Commands: []*cli.Command{
			generateCommand(),
			validateCommand(),
			planCommand(),
			diffCommand(),
			explainCommand(),
			promoteCommand(),
			verifyCommand(),
			lockCommand(),
			pushCommand(),
			pullCommand(),
			initCommand(),
			versionCommand(),
			completionCommand(),
			helpCommand(),
		},
	}
	setupHelp(app)
	return app
}

// globalFlags are accepted before and after the command name; a new set is
// made for each command so their values never share state.
//
// Only the application's own copies read ORK_<FLAG>: a command's copy is
// set only from its command line, so that a flag given before the command
// name still wins over the variable.
func globalFlags(fromEnv bool) []cli.Flag {
	flags := []cli.Flag{
		&cli.StringFlag{Name: "file", Aliases: []string{"f"}, EnvVars: []string{"ORK_FILE"}, Usage: "the Komposer (default: komposer.yaml here or in a directory above, up to the repository root)"},
		&cli.BoolFlag{Name: "offline", EnvVars: []string{"ORK_OFFLINE"}, Usage: "use only the cache and the lock; fail if something is missing"},
		&cli.StringFlag{Name: "cache-dir", EnvVars: []string{"ORK_CACHE_DIR"}, Usage: "where fetched sources are cached (default: the user cache directory)"},
		&cli.BoolFlag{Name: "no-cache", EnvVars: []string{"ORK_NO_CACHE"}, Usage: "neither use nor keep what earlier runs parsed, checked and built (fetched sources are still cached)"},
		&cli.BoolFlag{Name: "locked", EnvVars: []string{"ORK_LOCKED"}, Usage: "fail if ork.lock is missing or would change (CI)"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, EnvVars: []string{"ORK_QUIET"}, Usage: "print only errors"},
		&cli.BoolFlag{Name: "no-color", EnvVars: []string{"ORK_NO_COLOR"}, Usage: "never colour output (also NO_COLOR)"},
		&cli.BoolFlag{Name: "plain-http", EnvVars: []string{"ORK_PLAIN_HTTP"}, Usage: "speak plain HTTP to OCI registries (always to localhost and 127.0.0.1)"},
		&cli.StringFlag{Name: "max-artifact-size", EnvVars: []string{"ORK_MAX_ARTIFACT_SIZE"}, Value: "64MiB", Usage: "refuse OCI artifacts larger than this, and Git fetches over HTTP(S) that transfer more"},
	}
	if !fromEnv {
		for _, f := range flags {
			switch f := f.(type) {
			case *cli.StringFlag:
				f.EnvVars = nil
			case *cli.BoolFlag:
				f.EnvVars = nil
			}
		}
	}
	return flags
}

// withGlobals appends the global flags to a command's own.
func withGlobals(flags ...cli.Flag) []cli.Flag {
	return append(flags, globalFlags(false)...)
}

// globals are the global options, from wherever on the command line they
// were given.
type globals struct {
	file     string
	offline  bool
	cacheDir string
	noCache  bool
	locked   bool
	quiet    bool
	noColor  bool
	oci      ociGlobals
}

func readGlobals(c *cli.Context) globals {
	return globals{
		file:     globalString(c, "file"),
		offline:  globalBool(c, "offline"),
		cacheDir: globalString(c, "cache-dir"),
		noCache:  globalBool(c, "no-cache"),
		locked:   globalBool(c, "locked"),
		quiet:    globalBool(c, "quiet"),
		noColor:  globalBool(c, "no-color") || os.Getenv("NO_COLOR") != "",
		oci:      ociGlobals{plainHTTP: globalBool(c, "plain-http"), maxSize: globalString(c, "max-artifact-size")},
	}
}

// setHere returns the innermost context on whose own command line name was
// given, or c itself (whose value then comes from ORK_<FLAG> or the default).
func setHere(c *cli.Context, name string) *cli.Context {
	// Commands' copies are set only from the command line; the
	// application's also from ORK_<FLAG>, which the command line before
	// the command name overrides.
	for _, cc := range c.Lineage() {
		if cc.Command == nil && cc.App == nil {
			continue
		}
		if slices.Contains(cc.LocalFlagNames(), name) {
			return cc
		}
	}
	return c
}

func globalString(c *cli.Context, name string) string { return setHere(c, name).String(name) }
func globalBool(c *cli.Context, name string) bool     { return setHere(c, name).Bool(name) }

// project is the Komposer a command works on, with its lock and the means
// to fetch remote sources.
type project struct {
	k          *komposer.Komposer
	validator  *schema.Validator
	workDir    string
	lock       *lock.Lock
	lockPath   string
	lockBefore []byte // the lock's bytes as read, to write it only if it changes
	git        *git.Fetcher
	oci        *oci.Client
	results    *cache.Results // nil with --no-cache
	g          globals
	ephemeral  bool          // an ephemeral environment was asked for: the lock is not written
	revision   *git.Snapshot // set by --at: everything is read from this commit, the lock is not written
}

// options returns the compose options for the selected environments.
func (p *project) options(envs []string) compose.Options {
	return compose.Options{
		Komposer: p.k, Environments: envs, Validator: p.validator, WorkDir: p.workDir,
		Lock: p.lock, Locked: p.g.locked || p.revision != nil, Git: p.git, OCI: p.oci,
		Revision: p.revision, Results: p.results, Reading: gcBudget.reading,
	}
}

// selection returns the compose options for the environments c selects:
// --env, and --ephemeral-from where the command has it.
func (p *project) selection(c *cli.Context) compose.Options {
	o := p.options(environments(c))
	if from := c.String("ephemeral-from"); from != "" {
		name := ""
		if len(o.Environments) == 1 {
			name = o.Environments[0]
		}
		o.Ephemeral = &compose.Ephemeral{Name: name, From: from}
		p.ephemeral = true
	}
	return o
}

// ephemeralFlag builds an environment the Komposer does not declare.
func ephemeralFlag() cli.Flag {
	return &cli.StringFlag{Name: "ephemeral-from", EnvVars: []string{"ORK_EPHEMERAL_FROM"}, Usage: "build --env NAME, which the Komposer does not declare, from this environment's definition and pins (a feature branch's environment)"}
}

// lockFile returns ork.lock to write, or nil when its bytes did not change
// (or there is nothing remote to pin, or the environment is ephemeral).
// With --locked a change is an error.
func (p *project) lockFile() (*bundle.File, error) {
	if p.ephemeral || p.revision != nil {
		return nil, nil // it uses other pins and writes none
	}
	data, err := p.lock.Encode()
	if err != nil {
		return nil, err
	}
	if bytes.Equal(data, p.lockBefore) || p.lock.Empty() && p.lockBefore == nil {
		return nil, nil
	}
	if p.g.locked {
		return nil, fmt.Errorf("%s would change, and --locked forbids it; run `ork lock` and commit ork.lock", relTo(p.workDir, p.lockPath))
	}
	return &bundle.File{Path: p.lockPath, Data: data}, nil
}

// saveLock writes ork.lock when its bytes changed, atomically, and reports
// whether it did.
func (p *project) saveLock() (bool, error) {
	f, err := p.lockFile()
	if err != nil || f == nil {
		return false, err
	}
	if _, err := bundle.WriteFiles([]bundle.File{*f}); err != nil {
		return false, err
	}
	p.lockBefore = f.Data
	return true, nil
}

// loadProject finds and loads the Komposer named by -f, or the nearest one,
// and its lock. Progress of fetches goes to stderr when it is a terminal.
func loadProject(g globals, stderr io.Writer) (*project, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	start := g.file
	if start == "" {
		start = wd
	}
	path, err := komposer.Find(start)
	if err != nil {
		return nil, err
	}
	display := path
	if r, err := filepath.Rel(wd, path); err == nil {
		display = filepath.ToSlash(r)
	}
	c, r, err := openCache(g)
	if err != nil {
		return nil, err
	}
	v := newValidator(r)
	k, err := komposer.Load(path, display, v)
	if err != nil {
		return nil, err
	}
	p := &project{k: k, validator: v, workDir: wd, g: g, lockPath: lock.Path(path), results: r}
	var exists bool
	p.lock, exists, err = lock.Read(p.lockPath, relTo(wd, p.lockPath), v)
	if err != nil {
		return nil, err
	}
	if exists {
		if p.lockBefore, err = p.lock.Encode(); err != nil {
			return nil, err
		}
	}
	return p, p.connect(c, stderr)
}

// newValidator returns a Validator remembering its checks in r, when
// results are kept: an unchanged Komposer and lock are not checked against
// the schemas again, so a run that builds nothing compiles none.
func newValidator(r *cache.Results) *schema.Validator {
	v := schema.New()
	if r != nil {
		v.SetMemo(r)
	}
	return v
}

// openCache opens the cache directory and its kept results (nil with
// --no-cache).
func openCache(g globals) (*cache.Cache, *cache.Results, error) {
	c, err := cache.Open(g.cacheDir)
	if err != nil {
		return nil, nil, err
	}
	r, err := results(g, c)
	if err != nil {
		return nil, nil, err
	}
	return c, r, nil
}

// connect readies the clients of remote sources: Git and OCI, with the
// cache c.
func (p *project) connect(c *cache.Cache, stderr io.Writer) error {
	var err error
	p.git = &git.Fetcher{Cache: c, Offline: p.g.offline, Auth: git.NetrcAuth}
	if p.oci, err = newOCIClient(p.g, c); err != nil {
		return err
	}
	p.git.MaxBytes = p.oci.MaxSize
	if !p.g.quiet && isTerminal(stderr) {
		p.git.Progress = stderr
	}
	return nil
}

// isTerminal reports whether w is a terminal, where progress may be shown.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// environments returns the --env values, dropping empty ones (an empty
// ORK_ENV means none).
func environments(c *cli.Context) []string {
	var out []string
	for _, e := range c.StringSlice("env") {
		if e != "" {
			out = append(out, e)
		}
	}
	return out
}

// flagsFirst moves the flags that follow a command's arguments before them
// (`ork diff dev prod --exit-code`, `ork verify b.yaml -q`): urfave/cli
// stops reading flags at the first argument, and users of kubectl and git
// expect flags anywhere. Everything after "--" stays as it is.
func flagsFirst(app *cli.App, args []string) []string {
	if len(args) == 0 {
		return args
	}
	out := []string{args[0]}
	flags, commands := app.Flags, app.Commands
	i := 1
	take := func(dst []string) []string {
		a := args[i]
		dst = append(dst, a)
		if takesValue(flags, a) && i+1 < len(args) {
			i++
			dst = append(dst, args[i])
		}
		i++
		return dst
	}
	// The command path, with the flags between its words.
	for i < len(args) {
		a := args[i]
		if strings.HasPrefix(a, "-") && a != "-" && a != "--" {
			out = take(out)
			continue
		}
		var cmd *cli.Command
		for _, c := range commands {
			if c.HasName(a) {
				cmd = c
			}
		}
		if cmd == nil {
			break
		}
		out = append(out, a)
		flags, commands = cmd.Flags, cmd.Subcommands
		i++
	}
	var rest, positional []string
	for i < len(args) {
		a := args[i]
		switch {
		case a == "--":
			positional = append(positional, args[i:]...)
			i = len(args)
		case strings.HasPrefix(a, "-") && a != "-":
			rest = take(rest)
		default:
			positional = append(positional, a)
			i++
		}
	}
	return append(append(out, rest...), positional...)
}

// takesValue reports whether the flag arg names takes a value in the next
// argument (it is not a boolean, and the value is not given with =).
func takesValue(flags []cli.Flag, arg string) bool {
	name := strings.TrimLeft(arg, "-")
	if strings.Contains(name, "=") {
		return false
	}
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				_, isBool := f.(*cli.BoolFlag)
				return !isBool
			}
		}
	}
	return false
}
