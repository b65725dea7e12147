package main

import (
	"context"
	"embed"
	"fmt"
	"io"
	"strings"
	"text/template"

	"github.com/spf13/pflag"
)

// The completion scripts are templates over the commands table: a command
// or a flag added there is completed without touching them.
//
//go:embed completion/*.tmpl
var completionFS embed.FS

var completionTemplates = template.Must(template.New("").Funcs(template.FuncMap{
	"sq":   shellQuote,
	"fish": fishQuote,
	"zsh":  zshDescription,
	"join": strings.Join,
	"flagWords": func(flags []completionFlag) string {
		var w []string
		for _, f := range flags {
			w = append(w, "--"+f.Name)
			if f.Short != "" {
				w = append(w, "-"+f.Short)
			}
		}
		return strings.Join(w, " ")
	},
}).ParseFS(completionFS, "completion/*.tmpl"))

// shells are the shells `renewd completion` writes a script for.
var shells = []string{"bash", "zsh", "fish"}

// completionModel is what the templates read.
type completionModel struct {
	Commands []completionCommand
	Names    []string // the commands' names
	Shells   []string
}

type completionCommand struct {
	Name, Summary string
	// Args is how the positional arguments complete (command.complete),
	// ArgsName what they are (command.args).
	Args, ArgsName string
	Flags          []completionFlag
}

type completionFlag struct {
	Name, Short, Usage string
	// Value names what the flag takes ("FILE"); "" for a boolean.
	Value  string
	Values []string // the words the value is one of, when it is
	File   bool     // the value is a file name
}

func setupCompletion(e *env, _ *pflag.FlagSet) runFunc {
	return func(_ context.Context, args []string) error {
		return writeCompletion(e.stdout, args[0], completionData(e))
	}
}

func writeCompletion(w io.Writer, shell string, m completionModel) error {
	t := completionTemplates.Lookup(shell + ".tmpl")
	if t == nil {
		return usageErr("completion: %+q is not one of %s", shell, strings.Join(shells, ", "))
	}
	if err := t.Execute(w, m); err != nil {
		return fmt.Errorf("write the %s completion script: %w", shell, err)
	}
	return nil
}

// completionData reads the commands table: every visible command with its
// flags, as each command's setup registers them.
func completionData(e *env) completionModel {
	m := completionModel{Shells: shells}
	for _, c := range commands() {
		if c.hidden {
			continue
		}
		fs, _ := c.flagSet(e)
		cc := completionCommand{Name: c.name, Summary: c.summary, Args: c.complete, ArgsName: c.args}
		fs.VisitAll(func(f *pflag.Flag) {
			value, usage := flagValueName(f)
			cf := completionFlag{Name: f.Name, Short: f.Shorthand, Usage: usage, Value: value,
				Values: f.Annotations[annotValues], File: f.Annotations[annotFile] != nil}
			cc.Flags = append(cc.Flags, cf)
		})
		m.Commands = append(m.Commands, cc)
		m.Names = append(m.Names, c.name)
	}
	return m
}

// shellQuote is s in single quotes, for sh, bash and zsh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// fishQuote is s in fish's single quotes, where \ and ' are escaped.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// zshDescription is s as the text of an _arguments or _describe spec:
// brackets and colons would end its fields.
func zshDescription(s string) string {
	return strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`, `:`, `\:`).Replace(s)
}
