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
			outputFormatFlag(),
		),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fmt.Errorf("validate takes no arguments, got %q", c.Args().Slice())
			}
			format, err := outputFormat(c)
			if err != nil {
				return err
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
			if format == "json" {
				out := validateJSON{FormatVersion: 1, Environments: []validateEnvJSON{}}
				for _, k := range katalogs {
					m, crds := k.Counts()
					e := validateEnvJSON{Name: k.Env.Name, Manifests: m, CRDs: crds, Added: []addedJSON{}}
					for _, a := range k.Additions {
						e.Added = append(e.Added, addedJSON{ID: a.ID.String(), At: additionAt(a)})
					}
					out.Environments = append(out.Environments, e)
				}
				return writeJSON(w, out)
			}
			for _, k := range katalogs {
				fmt.Fprintf(w, "%s: valid (%s)\n", k.Env.Name, summary(k.Counts()))
				for _, a := range k.Additions {
					fmt.Fprintf(w, "  added by %s: %s\n", additionAt(a), a.ID)
				}
			}
			return nil
		},
	}
}

// additionAt is where a manifest was added: its file:line:col, or its
// source.
func additionAt(a compose.Addition) string {
	if where := a.Pos.String(); where != "" {
		return where
	}
	return a.Source
}
