package cli

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/orkdev/ork/pkg/scaffold"
)

func initCommand() *cli.Command {
	return &cli.Command{
		Name:      "init",
		Usage:     "scaffold a Komposer repository that `ork generate bundle` builds at once",
		ArgsUsage: "[DIR]",
		Flags:     withGlobals(),
		Action: func(c *cli.Context) error {
			if c.NArg() > 1 {
				return fmt.Errorf("init takes at most one directory, got %d arguments", c.NArg())
			}
			dir := c.Args().First()
			if dir == "" {
				dir = "."
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			names, err := scaffold.Write(dir)
			if err != nil {
				return err
			}
			if !readGlobals(c).quiet {
				w := c.App.Writer
				for _, n := range names {
					fmt.Fprintf(w, "created %s\n", n)
				}
				fmt.Fprintf(w, "next: cd %s && ork generate bundle\n", dir)
			}
			return nil
		},
	}
}
