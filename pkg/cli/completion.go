package cli

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/orkdev/ork/pkg/komposer"
	"github.com/orkdev/ork/pkg/schema"
)

// completeFlag is the argument a completion script appends to the words
// typed so far; ork then prints the candidates for the next word, one a
// line (urfave/cli's protocol).
const completeFlag = "--generate-bash-completion"

// The completion scripts: each sends the words typed so far to ork with
// completeFlag and offers what it prints, falling back to file names when
// it prints nothing (a bundle, a directory).
var completionScripts = map[string]string{
	"bash": `# bash completion for ork; load with: source <(ork completion bash)
_ork_complete() {
  local cur words
  COMPREPLY=()
  cur="${COMP_WORDS[COMP_CWORD]}"
  words=("${COMP_WORDS[@]:0:COMP_CWORD}")
  if [[ "$cur" == -* ]]; then
    words+=("$cur")
  fi
  local IFS=$'\n'
  COMPREPLY=($(compgen -W "$("${words[0]}" "${words[@]:1}" ` + completeFlag + ` 2>/dev/null)" -- "$cur"))
  return 0
}
complete -o bashdefault -o default -F _ork_complete ork
`,
	"zsh": `#compdef ork
# zsh completion for ork; put it on $fpath as _ork, or load with: source <(ork completion zsh)
_ork() {
  local -a opts
  local cur=${words[CURRENT]}
  local -a typed=("${(@)words[1,CURRENT-1]}")
  if [[ "$cur" == -* ]]; then
    typed+=("$cur")
  fi
  opts=("${(@f)$("${typed[@]}" ` + completeFlag + ` 2>/dev/null)}")
  if [[ -n "${opts[1]}" ]]; then
    compadd -a opts
  else
    _files
  fi
}
if [[ "$funcstack[1]" == "_ork" ]]; then
  _ork "$@"
else
  compdef _ork ork
fi
`,
	"fish": `# fish completion for ork; load with: ork completion fish | source
function __ork_complete
    set -l typed (commandline -opc)
    set -l cur (commandline -ct)
    if string match -q -- '-*' $cur
        set -a typed $cur
    end
    $typed ` + completeFlag + ` 2>/dev/null
end
complete -c ork -a '(__ork_complete)'
`,
}

func completionCommand() *cli.Command {
	return &cli.Command{
		Name:  "completion",
		Usage: "print the shell completion script for bash, zsh or fish",
		Description: `The script completes commands, flags, and from the Komposer (found as ork
finds it: -f, ORK_FILE, or komposer.yaml here or above) environment names
(--env, --from, --to, ork diff's arguments), source names (ork lock's
arguments) and formats.`,
		ArgsUsage: "bash|zsh|fish",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf("completion takes one shell: bash, zsh or fish (got %d arguments)", c.NArg())
			}
			script, ok := completionScripts[c.Args().First()]
			if !ok {
				return fmt.Errorf("completion: no script for %q; ork has bash, zsh and fish", c.Args().First())
			}
			_, err := io.WriteString(c.App.Writer, script)
			return err
		},
	}
}

// setupCompletion gives the application and every command the completer.
func setupCompletion(app *cli.App, args []string) {
	typed := args
	if n := len(typed); n > 0 && typed[n-1] == completeFlag {
		typed = typed[:n-1]
	}
	complete := func(c *cli.Context) { completeWord(c, typed) }
	app.BashComplete = complete
	var walk func([]*cli.Command)
	walk = func(cmds []*cli.Command) {
		for _, cmd := range cmds {
			cmd.BashComplete = complete
			walk(cmd.Subcommands)
		}
	}
	walk(app.Commands)
}

// completeWord prints the candidates for the word after typed in command
// c: a flag's values after a flag that takes one, the flags that start
// with a partly typed flag, else the command's subcommands or arguments
// (after a whole boolean flag too).
func completeWord(c *cli.Context, typed []string) {
	w := c.App.Writer
	cmd := c.Command
	last := ""
	if len(typed) > 1 {
		last = typed[len(typed)-1]
	}
	flags := cmd.VisibleFlags()
	switch {
	case isFlagName(flags, last) && takesValue(flags, last):
		printAll(w, flagValues(c, cmd, strings.TrimLeft(last, "-")))
	case strings.HasPrefix(last, "-") && !isFlagName(flags, last):
		var out []string
		for _, f := range flags {
			for _, n := range f.Names() {
				if d := dashes(n); strings.HasPrefix(d, last) && (len(n) > 1 || !strings.HasPrefix(last, "--")) {
					out = append(out, d)
				}
			}
		}
		printAll(w, out)
	case len(cmd.Subcommands) > 0:
		for _, sc := range cmd.Subcommands {
			if !sc.Hidden {
				fmt.Fprintln(w, sc.Name)
			}
		}
	default:
		printAll(w, arguments(c, cmd))
	}
}

// isFlagName reports whether arg is a flag of flags written in full (-f,
// --file), not a prefix that happens to name one (--f).
func isFlagName(flags []cli.Flag, arg string) bool {
	for _, f := range flags {
		for _, n := range f.Names() {
			if dashes(n) == arg {
				return true
			}
		}
	}
	return false
}

func printAll(w io.Writer, words []string) {
	for _, s := range words {
		fmt.Fprintln(w, s)
	}
}

// flagValues are the values of flag name of cmd.
func flagValues(c *cli.Context, cmd *cli.Command, name string) []string {
	switch name {
	case "env", "from", "to", "ephemeral-from":
		if k := completionKomposer(c); k != nil {
			return k.EnvironmentNames()
		}
	case "format":
		if slices.Contains([]string{"plan", "diff", "promote"}, cmd.Name) {
			return []string{"text", "markdown", "json"}
		}
		return []string{"text", "json"}
	case "against":
		return []string{"cluster", "git:"}
	}
	return nil
}

// arguments are the candidates for cmd's next argument.
func arguments(c *cli.Context, cmd *cli.Command) []string {
	switch cmd.Name {
	case "completion":
		return []string{"bash", "fish", "zsh"}
	case "help":
		var out []string
		for _, sc := range c.App.Commands {
			if !sc.Hidden {
				out = append(out, sc.Name)
			}
		}
		return out
	case "diff":
		if k := completionKomposer(c); k != nil && c.NArg() < 2 {
			return k.EnvironmentNames()
		}
	case "lock":
		if k := completionKomposer(c); k != nil {
			var out []string
			for _, s := range k.Sources {
				if !slices.Contains(c.Args().Slice(), s.Name) {
					out = append(out, s.Name)
				}
			}
			return out
		}
	}
	return nil
}

// completionKomposer is the Komposer the command would use (-f, ORK_FILE,
// or the nearest komposer.yaml), or nil when there is none or it does not
// load: completion prints nothing rather than an error.
func completionKomposer(c *cli.Context) *komposer.Komposer {
	start := readGlobals(c).file
	if start == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil
		}
		start = wd
	}
	path, err := komposer.Find(start)
	if err != nil {
		return nil
	}
	k, err := komposer.Load(path, path, schema.New())
	if err != nil {
		return nil
	}
	return k
}
