package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"
)

// printUsage lists the commands: what `renewd` alone and `renewd help`
// print.
func printUsage(w io.Writer) {
	var b strings.Builder
	b.WriteString("renewd renews OVHcloud services before they expire, within your policies, and never pays twice.\n\n" +
		"Usage: renewd COMMAND [flags] [arguments]\n\nCommands:\n")
	for _, c := range commands() {
		if !c.hidden {
			fmt.Fprintf(&b, "  %-13s %s\n", c.name, c.summary)
		}
	}
	fmt.Fprintf(&b, "\n`renewd help COMMAND` (or `renewd COMMAND --help`) shows a command's flags and an example.\n"+
		"Flags go before or after the arguments; `--` ends them. --config defaults to %s.\n"+
		"Exit codes: 0 ok, 1 not done or failed, 2 usage or config error, 3 damaged ledger (docs/cli.md).\n", defaultConfig)
	io.WriteString(w, b.String())
}

// usageLine is `renewd NAME [flags] ARGS`.
func (c command) usageLine() string {
	s := "renewd " + c.name + " [flags]"
	if c.args != "" {
		s += " " + c.args
	}
	return s
}

// writeCommandUsage prints what a usage error shows: the usage line and
// the flags.
func writeCommandUsage(w io.Writer, c command, fs *pflag.FlagSet) {
	fmt.Fprintf(w, "Usage: %s\n\nFlags:\n%s\n`renewd help %s` shows an example.\n", c.usageLine(), flagUsages(fs), c.name)
}

// writeCommandHelp prints `renewd help NAME`: the usage line, what the
// command does, its flags and an example.
func writeCommandHelp(w io.Writer, c command, fs *pflag.FlagSet) {
	fmt.Fprintf(w, "Usage: %s\n\n%s.\n\nFlags:\n%s", c.usageLine(), capitalize(c.summary), flagUsages(fs))
	if c.example != "" {
		fmt.Fprintf(w, "\nExample:\n")
		for _, l := range strings.Split(c.example, "\n") {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	fmt.Fprintf(w, "\nFlags go before or after the arguments; `--` ends them. Exit codes and JSON fields: docs/cli.md.\n")
}

// flagUsages lists the flags, one a line: `--name VALUE  usage (default
// D)`; VALUE is left out for a boolean.
func flagUsages(fs *pflag.FlagSet) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 3, ' ', 0)
	fs.VisitAll(func(f *pflag.Flag) {
		value, usage := flagValueName(f)
		name := "    --" + f.Name
		if f.Shorthand != "" {
			name = "-" + f.Shorthand + ", --" + f.Name
		}
		if value != "" {
			name += " " + value
		}
		if d := f.DefValue; d != "" && d != "0" && d != "false" && value != "" {
			usage += fmt.Sprintf(" (default %s)", d)
		}
		fmt.Fprintf(tw, "  %s\t%s\n", name, usage)
	})
	tw.Flush()
	return b.String()
}

// flagValueName is what a flag's value is called ("FILE"), "" for a
// boolean, and its usage without the backquotes that name it.
func flagValueName(f *pflag.Flag) (value, usage string) {
	value, usage = pflag.UnquoteUsage(f)
	if f.NoOptDefVal != "" {
		value = ""
	}
	return strings.ToUpper(value), usage
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// lookup finds a command by name, hidden ones too.
func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func setupHelp(e *env, _ *pflag.FlagSet) runFunc {
	return func(_ context.Context, args []string) error {
		if len(args) == 0 {
			printUsage(e.stdout)
			return nil
		}
		c, ok := lookup(args[0])
		if !ok || c.hidden {
			printUsage(e.stderr)
			return usageErr("help: unknown command %+q", args[0])
		}
		fs, _ := c.flagSet(e)
		writeCommandHelp(e.stdout, c, fs)
		return nil
	}
}
