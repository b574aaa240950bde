package cli

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/orkdev/ork/pkg/compose"
)

func validateCommand() *cli.Command {
	return &cli.Command{
		Name:      "validate",
		Usage:     "resolve, merge and validate; print every error and write nothing",
		ArgsUsage: " ",
		Flags: withGlobals(
			&cli.StringSliceFlag{Name: "env", EnvVars: []string{"ORK_ENV"}, Usage: "environment to validate (repeatable; default: all)"},
			ephemeralFlag(),
		),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fmt.Errorf("validate takes no arguments, got %q", c.Args().Slice())
			}
			g := readGlobals(c)
			p, err := loadProject(g, c.App.ErrWriter)
			if err != nil {
				return err
			}
			// Pins that validate resolves are used, not written.
			katalogs, err := compose.Build(c.Context, p.selection(c))
			if err != nil {
				return err
			}
			if g.quiet {
				return nil
			}
			w := c.App.Writer
			for _, k := range katalogs {
				fmt.Fprintf(w, "%s: valid (%s)\n", k.Env.Name, summary(k.Counts()))
				for _, a := range k.Additions {
					where := a.Pos.String()
					if where == "" {
						where = a.Source
					}
					fmt.Fprintf(w, "  added by %s: %s\n", where, a.ID)
				}
			}
			return nil
		},
	}
}
