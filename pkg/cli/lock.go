package cli

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/orkdev/ork/pkg/compose"
)

func lockCommand() *cli.Command {
	return &cli.Command{
		Name:      "lock",
		Usage:     "pin remote sources (and images, with images: pin: true) in ork.lock: add missing pins, or with --update move floating refs",
		ArgsUsage: "[SOURCE]...",
		Flags: withGlobals(
			&cli.BoolFlag{Name: "update", EnvVars: []string{"ORK_UPDATE_PINS"}, Usage: "re-resolve branches and tags (environments without after only)"},
			&cli.StringSliceFlag{Name: "env", EnvVars: []string{"ORK_ENV"}, Usage: "environment to lock (repeatable; default: all)"},
			outputFormatFlag(),
		),
		Action: func(c *cli.Context) error {
			format, err := outputFormat(c)
			if err != nil {
				return err
			}
			g := readGlobals(c)
			p, err := loadProject(g, c.App.ErrWriter)
			if err != nil {
				return err
			}
			moves, err := compose.Lock(c.Context, p.selection(c), compose.LockOptions{
				Update: c.Bool("update"), Sources: c.Args().Slice(),
			})
			if err != nil {
				return err
			}
			written, err := p.saveLock()
			if err != nil {
				return err
			}
			if g.quiet {
				return nil
			}
			w := c.App.Writer
			if format == "json" {
				return writeJSON(w, lockJSON{FormatVersion: 1, Lock: relTo(p.workDir, p.lockPath), Written: written, Moves: movesJSON(moves)})
			}
			printMoves(w, moves)
			switch {
			case written:
				fmt.Fprintf(w, "%s written\n", relTo(p.workDir, p.lockPath))
			case len(moves) == 0:
				fmt.Fprintf(w, "%s is up to date\n", relTo(p.workDir, p.lockPath))
			}
			return nil
		},
	}
}

// printMoves prints the pins that moved, one a line.
func printMoves(w io.Writer, moves []compose.Move) {
	for _, m := range moves {
		name := m.Source
		if m.Image != "" {
			name = "image " + m.Image
		}
		if m.From == "" {
			fmt.Fprintf(w, "%s: %s pinned at %s\n", m.Environment, name, m.To)
		} else {
			fmt.Fprintf(w, "%s: %s %s -> %s\n", m.Environment, name, m.From, m.To)
		}
	}
}
