package cli

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/orkdev/ork/pkg/suggest"
)

// examples are shown under EXAMPLES in each command's --help, by the
// command's full name ("generate bundle"); "" is the application's.
var examples = map[string]string{
	"": `# Build every environment's bundle into bundles/
ork generate bundle

# What would applying dev's new bundle change?
ork plan --env dev

# Shell completion (bash; also zsh and fish)
source <(ork completion bash)`,
	"generate": `ork generate bundle`,
	"generate bundle": `# Every environment, into bundles/ next to the Komposer
ork generate bundle

# One environment, to a file, or to stdout
ork generate bundle --env production -o production.yaml
ork generate bundle --env dev -o -

# In CI: fail if ork.lock is missing a pin or would change
ork generate bundle --locked

# A feature branch's environment, made from staging
ork generate bundle --env feat-auth --ephemeral-from staging -o feat-auth.yaml`,
	"validate": `# Every environment
ork validate

# Two environments, as JSON
ork validate --env dev --env staging --format json`,
	"plan": `# dev's new bundle against bundles/dev.yaml
ork plan --env dev

# Against the bundle as committed on main, as a pull-request comment
ork plan --env production --against git:main --format markdown

# Against the live cluster; exit 2 if anything would change
ork plan --env production --against cluster --exit-code`,
	"diff": `# What differs between staging and production, besides their names
ork diff staging production --ignore-env-values

# For a machine; exit 2 when they differ
ork diff dev staging --format json --exit-code`,
	"explain": `# Why does production run this many replicas of keycloak?
ork explain --env production Deployment/identity/keycloak spec.replicas

# Every layer that touched one container's image, for a machine
ork explain --env staging Deployment/identity/keycloak 'spec.template.spec.containers[name=keycloak].image' --format json`,
	"promote": `# Preview, then promote dev's pins to staging
ork promote --from dev --to staging --dry-run
ork promote --from dev --to staging`,
	"verify": `# Recompute a bundle's digest (exit 3 if it was altered)
ork verify bundles/production.yaml

# Check that it is the bundle ork plan showed
ork verify --digest sha256:46eeb984… bundles/production.yaml`,
	"lock": `# Pin every remote source that has no pin yet
ork lock

# Move dev's branches and tags to what they point at now
ork lock --update --env dev

# Only one source
ork lock --update shared-services`,
	"push": `ork push ./katalog registry.example.com/baselines/security:1.4.0
ork push ./katalog oci-layout:./vendor/baselines:1.4.0`,
	"pull": `ork pull registry.example.com/baselines/security:1.4.0 ./vendor/security
ork pull --force registry.example.com/baselines/security@sha256:3f9a… ./vendor/security`,
	"init": `# A new repository in ./platform
ork init platform
cd platform && ork generate bundle`,
	"version": `ork version
ork version --format json`,
	"completion": `# bash: now, and in every new shell
source <(ork completion bash)
ork completion bash > ~/.local/share/bash-completion/completions/ork

# zsh (a directory on $fpath)
ork completion zsh > "${fpath[1]}/_ork"

# fish
ork completion fish > ~/.config/fish/completions/ork.fish`,
}

// setupHelp gives every command of app its EXAMPLES, a usage error of two
// lines (the error, and where help is) rather than the whole help, and no
// help subcommand under a command that has no subcommands.
func setupHelp(app *cli.App) {
	app.CustomAppHelpTemplate = withExamples(cli.AppHelpTemplate, "") +
		"\nRun 'ork help COMMAND' or 'ork COMMAND --help' for more about a command.\n"
	app.OnUsageError = usageError
	var walk func(cmds []*cli.Command, parent string)
	walk = func(cmds []*cli.Command, parent string) {
		for _, c := range cmds {
			name := strings.TrimSpace(parent + " " + c.Name)
			tmpl := cli.CommandHelpTemplate
			if len(c.Subcommands) > 0 {
				tmpl = cli.SubcommandHelpTemplate
				if c.Action == nil {
					c.Action = unknownCommand
				}
			}
			c.HideHelpCommand = true
			c.CustomHelpTemplate = withExamples(tmpl, name)
			c.OnUsageError = usageError
			walk(c.Subcommands, name)
		}
	}
	walk(app.Commands, "")
}

// withExamples appends the EXAMPLES of the command named name to a help
// template.
func withExamples(tmpl, name string) string {
	ex, ok := examples[name]
	if !ok {
		return tmpl
	}
	var b strings.Builder
	b.WriteString(tmpl)
	b.WriteString("\nEXAMPLES:\n")
	for _, l := range strings.Split(ex, "\n") {
		if l == "" {
			b.WriteString("\n")
			continue
		}
		// The examples are literal text, not template actions.
		b.WriteString("   " + strings.ReplaceAll(l, "{{", `{{"{{"}}`) + "\n")
	}
	return b.String()
}

// usageError is what a bad flag or flag value prints: the error, and one
// line saying where the help is (kubectl's form), never the whole help.
func usageError(c *cli.Context, err error, _ bool) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		name = strings.TrimLeft(name, "-")
		msg = "unknown flag: " + dashes(name)
		var names []string
		for _, f := range c.Command.VisibleFlags() {
			names = append(names, f.Names()...)
		}
		if s := suggest.Closest(name, names); s != "" {
			msg += "; did you mean " + dashes(s) + "?"
		}
	}
	return &usageErr{msg: msg, hint: fmt.Sprintf("See '%s --help' for usage.", c.Command.HelpName)}
}

// usageErr is a mistake on the command line: the error, and on a line of
// its own where help is (kubectl's two lines).
type usageErr struct{ msg, hint string }

func (e *usageErr) Error() string { return e.msg + "\n" + e.hint }

// dashes writes a flag name as it is typed: -f, --file.
func dashes(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// unknownCommand is the action of a command that has subcommands (the
// application's, generate's): without arguments it shows the command's
// help; with one, it is an unknown command, reported with the closest one.
func unknownCommand(c *cli.Context) error {
	root := c.Command.HelpName == c.App.Name
	switch {
	case root && c.Bool("version"):
		return printVersion(c, "text")
	case root && c.NArg() == 0:
		return cli.ShowAppHelp(c)
	case c.NArg() == 0:
		return cli.ShowSubcommandHelp(c)
	}
	return unknownError(c.Command.HelpName, c.Args().First(), c.Command.Subcommands)
}

// unknownError says that word is no command of parent's (its full name),
// with the closest one.
func unknownError(parent, word string, cmds []*cli.Command) error {
	var names []string
	for _, c := range cmds {
		if !c.Hidden {
			names = append(names, c.Names()...)
		}
	}
	msg := fmt.Sprintf("unknown command %q for %q", word, parent)
	if s := suggest.Closest(word, names); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", parent+" "+s)
	}
	return &usageErr{msg: msg, hint: fmt.Sprintf("Run '%s --help' for usage.", parent)}
}

// helpCommand is `ork help [COMMAND [SUBCOMMAND]]`: the help of the
// application, or of the command named.
func helpCommand() *cli.Command {
	return &cli.Command{
		Name:      "help",
		Usage:     "show the commands, or one command's help",
		ArgsUsage: "[COMMAND [SUBCOMMAND]]",
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return cli.ShowAppHelp(c)
			}
			args := []string{c.App.Name}
			cmds, parent := c.App.Commands, c.App.Name
			for _, word := range c.Args().Slice() {
				var found *cli.Command
				for _, cmd := range cmds {
					if cmd.HasName(word) {
						found = cmd
					}
				}
				if found == nil {
					return unknownError(parent, word, cmds)
				}
				args = append(args, found.Name)
				cmds, parent = found.Subcommands, parent+" "+found.Name
			}
			return c.App.RunContext(c.Context, append(args, "--help"))
		},
	}
}
