// Command ork compiles a Komposer into one locked bundle per environment.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/orkdev/ork/pkg/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
