package cli

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/orkdev/ork/pkg/bundle"
	"github.com/orkdev/ork/pkg/plan"
	"github.com/orkdev/ork/pkg/promote"
)

func promoteCommand() *cli.Command {
	return &cli.Command{
		Name:      "promote",
		Usage:     "copy one environment's pins to the next, showing the next one's plan first",
		ArgsUsage: " ",
		Flags: withGlobals(
			&cli.StringFlag{Name: "from", EnvVars: []string{"ORK_FROM"}, Usage: "the environment whose pins to copy"},
			&cli.StringFlag{Name: "to", EnvVars: []string{"ORK_TO"}, Usage: "the environment to move (its after should be --from)"},
			&cli.BoolFlag{Name: "dry-run", EnvVars: []string{"ORK_DRY_RUN"}, Usage: "print the preview and write nothing"},
			&cli.BoolFlag{Name: "force", EnvVars: []string{"ORK_FORCE"}, Usage: "promote even from another environment than --to's after"},
			formatFlag(),
		),
		Action: runPromote,
	}
}

func runPromote(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("promote takes no arguments, got %q", c.Args().Slice())
	}
	format, g, p, err := planSetup(c)
	if err != nil {
		return err
	}
	if c.String("from") == "" || c.String("to") == "" {
		return fmt.Errorf("promote needs --from A and --to B; %s has %s", p.k.Display, strings.Join(p.k.EnvironmentNames(), ", "))
	}
	res, err := promote.Promote(c.Context, promote.Options{
		Compose: p.options(nil), From: c.String("from"), To: c.String("to"), Force: c.Bool("force"),
	})
	if err != nil {
		return err
	}
	to := c.String("to")
	planned, err := bundle.Load(res.Planned)
	if err != nil {
		return err
	}
	path := filepath.Join(p.k.Dir, "bundles", to+".yaml")
	ref, err := plan.ReadFile(path, relTo(p.workDir, path))
	if err != nil {
		return err
	}
	preview, err := plan.Compare(ref, planned)
	if err != nil {
		return err
	}
	if format == "json" {
		return promoteAsJSON(c, p, res, preview, g)
	}
	w := c.App.Writer
	if format != "text" {
		w = c.App.ErrWriter // keep stdout a document a machine reads
	}
	if !g.quiet {
		if err := writePlan(c, preview, format, g); err != nil {
			return err
		}
	}
	if len(res.Moves) == 0 {
		if !g.quiet {
			fmt.Fprintf(w, "\nNothing to promote: %s already has %s's pins.\n", to, c.String("from"))
		}
		return nil
	}
	if c.Bool("dry-run") {
		if !g.quiet {
			fmt.Fprintf(w, "\nDry run: %s not written.\n", relTo(p.workDir, p.lockPath))
		}
		return nil
	}
	p.lock = res.Lock
	if _, err := p.saveLock(); err != nil {
		return err
	}
	if !g.quiet {
		fmt.Fprintln(w)
		for _, m := range res.Moves {
			from := m.From
			if from == "" {
				from = "(none)"
			}
			name := m.Source
			if m.Image != "" {
				name = "image " + m.Image
			}
			fmt.Fprintf(w, "%s: %s %s -> %s (promoted from %s)\n", m.Environment, name, from, m.To, c.String("from"))
		}
		fmt.Fprintf(w, "%s written; run `ork generate bundle --env %s` and commit both\n", relTo(p.workDir, p.lockPath), to)
	}
	return nil
}

// promoteAsJSON promotes (unless --dry-run or there is nothing to move) and
// writes one JSON document: the preview and what was done.
func promoteAsJSON(c *cli.Context, p *project, res *promote.Result, preview *plan.Plan, g globals) error {
	doc := promoteJSON{
		FormatVersion: 1, From: c.String("from"), To: c.String("to"), DryRun: c.Bool("dry-run"),
		Lock: relTo(p.workDir, p.lockPath), Moves: movesJSON(res.Moves), Plan: preview.JSON(),
	}
	if len(res.Moves) > 0 && !doc.DryRun {
		p.lock = res.Lock
		if _, err := p.saveLock(); err != nil {
			return err
		}
		doc.LockWritten = true
	}
	if g.quiet {
		return nil
	}
	return writeJSON(c.App.Writer, doc)
}
