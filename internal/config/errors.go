package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// ConfigError is one problem in the config file: where it is and what is
// wrong. Error() reads "FILE:LINE: field.path: what is wrong"; parts that are
// unknown (no line for a Config built in code, no field for a syntax error)
// are left out.
type ConfigError struct {
	Path  string // the config file
	Line  int    // 1-based; 0 when unknown
	Field string // e.g. policies[0].payment.method_id; "" for the file as a whole
	Err   error
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	switch {
	case e.Path != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.Path, e.Line)
	case e.Path != "":
		b.WriteString(e.Path + ": ")
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *ConfigError) Unwrap() error { return e.Err }

// Errors is every problem found in a config file, sorted by line. Parse,
// Load and Validate return it (never empty) when anything is wrong.
type Errors []*ConfigError

// Error is one problem per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap gives errors.Is and errors.As every problem.
func (es Errors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}

// sorted returns the problems by line, keeping the order of discovery
// within a line.
func (es Errors) sorted() Errors {
	slices.SortStableFunc(es, func(a, b *ConfigError) int { return cmp.Compare(a.Line, b.Line) })
	return es
}
