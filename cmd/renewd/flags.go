package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// A command is one subcommand of renewd: what it takes, what it says of
// itself, and how it runs. The table of them (commands) is the one source
// of the usage, of `renewd help`, of the completion scripts and of the
// test that holds docs/cli.md to them.
type command struct {
	name string
	// args names the positional arguments as usage shows them
	// ("TERM|APPROVAL_ID"); minArgs and maxArgs bound their number.
	args             string
	minArgs, maxArgs int
	summary          string
	// example is one or more command lines, shown by `renewd help NAME`.
	example string
	// complete is how a shell completes the positional arguments: "" (it
	// does not), "file", "approvals" (pending approval ids and terms, from
	// `renewd __complete approvals`), "commands" or "shells".
	complete string
	hidden   bool // left out of the list and of completion (__complete)
	// setup registers the command's flags on fs and returns what runs the
	// command once they are parsed, with its positional arguments (already
	// counted). It does nothing else: help and completion call it to
	// learn the flags.
	setup func(e *env, fs *pflag.FlagSet) runFunc
}

type runFunc func(ctx context.Context, args []string) error

// Annotations on a flag that tell a shell how to complete its value.
const (
	annotValues = "renewd_values" // the words the value is one of
	annotFile   = "renewd_file"   // the value is a file name
)

// completeWords tells the completion scripts the values a flag takes.
// The flag must be defined: this is wiring, checked by every test that
// runs a command.
func completeWords(fs *pflag.FlagSet, name string, words ...string) {
	if err := fs.SetAnnotation(name, annotValues, words); err != nil {
		panic(err)
	}
}

// completeFile tells the completion scripts that a flag takes a file name.
func completeFile(fs *pflag.FlagSet, name string) {
	if err := fs.SetAnnotation(name, annotFile, []string{"true"}); err != nil {
		panic(err)
	}
}

// jsonFlag registers --json, the same on every command that has it.
func jsonFlag(fs *pflag.FlagSet) *bool {
	return fs.Bool("json", false, "print JSON, the form docs/cli.md documents (\"JSON output\")")
}

// newFlagSet is an empty flag set for command name. Flags and arguments
// mix in any order (interspersed); "--" ends the flags. pflag prints
// nothing itself: usage and errors are renewd's.
func newFlagSet(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet("renewd "+name, pflag.ContinueOnError)
	fs.SetInterspersed(true)
	fs.SortFlags = true
	fs.Usage = func() {}
	fs.BoolP("help", "h", false, "show this help")
	return fs
}

// flagSet returns the command's flags, registered as setup registers them,
// and the function that runs it.
func (c command) flagSet(e *env) (*pflag.FlagSet, runFunc) {
	fs := newFlagSet(c.name)
	return fs, c.setup(e, fs)
}

// exec parses args (flags anywhere, "--" ends them), checks the number of
// positional arguments and runs the command. --help prints the command's
// help on stdout; a bad flag or argument count prints it on stderr and is
// a usage error (exit 2).
func (c command) exec(ctx context.Context, e *env, args []string) error {
	fs, runCmd := c.flagSet(e)
	if err := fs.Parse(args); err != nil {
		writeCommandUsage(e.stderr, c, fs)
		return usageErr("%s: %s", c.name, flagError(fs, err))
	}
	if h, _ := fs.GetBool("help"); h {
		writeCommandHelp(e.stdout, c, fs)
		return nil
	}
	rest := fs.Args()
	if len(rest) < c.minArgs || len(rest) > c.maxArgs {
		writeCommandUsage(e.stderr, c, fs)
		return usageErr("%s: %s, got %d: %s", c.name, c.wantArgs(), len(rest), quoteArgs(rest))
	}
	return runCmd(ctx, rest)
}

// wantArgs says how many positional arguments the command takes.
func (c command) wantArgs() string {
	switch {
	case c.maxArgs == 0:
		return "want no argument"
	case c.minArgs == c.maxArgs:
		return fmt.Sprintf("want %d argument(s) (%s)", c.minArgs, c.args)
	}
	return fmt.Sprintf("want %d to %d argument(s) (%s)", c.minArgs, c.maxArgs, c.args)
}

// flagError rewords pflag's error where renewd has more to say: a long
// flag written with one dash (-config, which Go's flag package took and
// pflag reads as the shorthands -c -o -n...).
func flagError(fs *pflag.FlagSet, err error) string {
	var ne *pflag.NotExistError
	if errors.As(err, &ne) {
		if group := ne.GetSpecifiedShortnames(); len(group) > 1 {
			name, _, _ := strings.Cut(group, "=")
			if fs.Lookup(name) != nil {
				return fmt.Sprintf("-%s: long flags take two dashes: --%s", printable(name), name)
			}
		}
	}
	return printable(err.Error())
}

// quoteArgs shows arguments as typed, quoted, with what a terminal could
// misread escaped.
func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = fmt.Sprintf("%+q", a)
	}
	return "[" + strings.Join(q, " ") + "]"
}
