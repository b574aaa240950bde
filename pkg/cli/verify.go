package cli

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/orkdev/ork/pkg/bundle"
)

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "recompute a bundle's digest; exit 3 if it was altered",
		ArgsUsage: "BUNDLE",
		Flags:     withGlobals(),
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf("verify takes one bundle file, got %d arguments", c.NArg())
			}
			path := c.Args().First()
			b, err := bundle.ReadFile(path)
			if err != nil {
				return err
			}
			if err := b.Verify(); err != nil {
				if errors.Is(err, bundle.ErrTampered) {
					return &exitError{code: ExitTampered, err: fmt.Errorf("%s: %w", path, err)}
				}
				return fmt.Errorf("%s: %w", path, err)
			}
			if !readGlobals(c).quiet {
				fmt.Fprintf(c.App.Writer, "%s: verified, environment %s, %s\n", path, b.Environment, b.Digest)
			}
			return nil
		},
	}
}
