package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// cliDoc is what docs/cli.md says of the commands: each command's flag
// table and each --json output's field table. The tests below hold the
// code to it.
type cliDoc struct {
	// flags[command] are the flag table's rows: flag name -> value column
	// ("-" for a boolean). A command whose section has no table is
	// present with no row.
	flags map[string]map[string]string
	// json[command] is the field table of `renewd COMMAND --json`.
	json map[string]contract
}

// A contract is a --json output's field table: path -> its type.
type contract map[string]fieldSpec

type fieldSpec struct {
	typ      string // "string", "term", "array of object"...
	nullable bool   // "... or null"
}

var (
	docCommandHeading = regexp.MustCompile("^### `renewd ([a-z-]+)`$")
	docJSONHeading    = regexp.MustCompile("^### `renewd ([a-z-]+) --json`$")
	docCode           = regexp.MustCompile("`([^`]*)`")
)

// commonFlags are the flags a table's row "`--config`, `--log-format`,
// `--log-level`" stands for, with their value names.
var commonFlags = map[string]string{"config": "FILE", "log-format": "FORMAT", "log-level": "LEVEL"}

func readCLIDoc(t *testing.T) cliDoc {
	t.Helper()
	f, err := os.Open("../../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc := cliDoc{flags: map[string]map[string]string{}, json: map[string]contract{}}
	var flags map[string]string
	var fields contract
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			flags, fields = nil, nil
			if m := docCommandHeading.FindStringSubmatch(line); m != nil {
				flags = map[string]string{}
				doc.flags[m[1]] = flags
			} else if m := docJSONHeading.FindStringSubmatch(line); m != nil {
				fields = contract{}
				doc.json[m[1]] = fields
			}
			continue
		}
		cells := tableRow(line)
		if cells == nil || len(cells) != 3 || strings.HasPrefix(cells[0], "---") || cells[0] == "flag" || cells[0] == "field" {
			continue
		}
		switch {
		case flags != nil:
			names := docCode.FindAllStringSubmatch(cells[0], -1)
			if len(names) == 0 {
				t.Errorf("docs/cli.md:%d: a flag row without a `--flag`: %q", n, line)
			}
			if len(names) > 1 {
				for name, value := range commonFlags {
					flags[name] = value
				}
				if !slices.Equal(codeWords(names), []string{"--config", "--log-format", "--log-level"}) {
					t.Errorf("docs/cli.md:%d: a row of several flags must be the common ones: %q", n, line)
				}
				continue
			}
			flags[strings.TrimPrefix(names[0][1], "--")] = cells[1]
		case fields != nil:
			path := strings.Trim(cells[0], "`")
			typ, nullable := strings.CutSuffix(cells[1], " or null")
			if _, dup := fields[path]; dup {
				t.Errorf("docs/cli.md:%d: field %s listed twice", n, path)
			}
			fields[path] = fieldSpec{typ: typ, nullable: nullable}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return doc
}

// tableRow splits a Markdown table row into its cells; nil for a line
// that is not one.
func tableRow(line string) []string {
	if !strings.HasPrefix(line, "|") || !strings.HasSuffix(line, "|") {
		return nil
	}
	cells := strings.Split(strings.Trim(line, "|"), "|")
	for i := range cells {
		cells[i] = strings.TrimSpace(cells[i])
	}
	return cells
}

func codeWords(m [][]string) []string {
	var out []string
	for _, s := range m {
		out = append(out, s[1])
	}
	return out
}

// TestCLIDocListsEveryCommandAndFlag: docs/cli.md has a section for every
// command of the table (and for none other), and its flag table lists
// exactly the flags the command registers, with their value names.
func TestCLIDocListsEveryCommandAndFlag(t *testing.T) {
	doc := readCLIDoc(t)
	e := &env{getenv: func(string) string { return "" }, stdout: &strings.Builder{}, stderr: &strings.Builder{}}
	seen := map[string]bool{}
	for _, c := range commands() {
		if c.hidden {
			continue
		}
		seen[c.name] = true
		documented, ok := doc.flags[c.name]
		if !ok {
			t.Errorf("docs/cli.md has no section \"### `renewd %s`\"", c.name)
			continue
		}
		fs, _ := c.flagSet(e)
		registered := map[string]string{}
		for name := range flagNames(fs) {
			if name == "help" {
				continue // every command has it; the page says so once
			}
			value, _ := flagValueName(fs.Lookup(name))
			if value == "" {
				value = "-"
			}
			registered[name] = value
		}
		if got, want := fmt.Sprint(documented), fmt.Sprint(registered); got != want {
			t.Errorf("renewd %s: docs/cli.md lists the flags %s, the command registers %s", c.name, got, want)
		}
	}
	for name := range doc.flags {
		if !seen[name] {
			t.Errorf("docs/cli.md documents a command renewd does not have: %s", name)
		}
	}
}
