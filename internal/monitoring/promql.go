package monitoring

import (
	"fmt"
	"slices"
	"strings"

	"github.com/VictoriaMetrics/metricsql"
)

// checkExpr parses one expression and checks what it selects, matches,
// groups and joins on against fs.
func checkExpr(expr string, fs Families) []error {
	e, err := metricsql.Parse(expr)
	if err != nil {
		return []error{fmt.Errorf("parse %q: %w", expr, err)}
	}
	var errs []error
	selected := 0
	metricsql.VisitAll(e, func(n metricsql.Expr) {
		switch n := n.(type) {
		case *metricsql.MetricExpr:
			selected++
			errs = append(errs, checkSelector(n, fs)...)
		case *metricsql.AggrFuncExpr:
			if n.Modifier.Op == "" {
				return
			}
			have := labelsOf(fs, n.Args...)
			for _, l := range n.Modifier.Args {
				if !have[l] {
					errs = append(errs, fmt.Errorf("%s %s (%s): no metric it aggregates has label %q", n.Name, n.Modifier.Op, l, l))
				}
			}
		case *metricsql.BinaryOpExpr:
			errs = append(errs, checkMatching(n, fs)...)
		}
	})
	if selected == 0 {
		errs = append(errs, fmt.Errorf("%q selects no metric", expr))
	}
	return errs
}

// checkSelector checks one selector: a metric named exactly, which fs has,
// matched on labels it carries.
func checkSelector(m *metricsql.MetricExpr, fs Families) []error {
	var errs []error
	for _, group := range m.LabelFilterss {
		if len(group) == 0 || group[0].Label != "__name__" {
			errs = append(errs, fmt.Errorf("%s selects by labels alone; name the metric", m.AppendString(nil)))
			continue
		}
		name := group[0]
		if name.IsRegexp || name.IsNegative {
			errs = append(errs, fmt.Errorf("%s matches the metric name by a pattern; name the metric", m.AppendString(nil)))
			continue
		}
		labels, ok := fs[name.Value]
		if !ok {
			errs = append(errs, fmt.Errorf("uses %s, which is not exposed", name.Value))
			continue
		}
		for _, f := range group[1:] {
			if !labels[f.Label] && !slices.Contains(TargetLabels, f.Label) {
				errs = append(errs, fmt.Errorf("matches %s on label %q, which it does not have (it has %s)",
					name.Value, f.Label, strings.Join(sortedKeys(labels), ", ")))
			}
		}
	}
	return errs
}

// checkMatching checks a binary operation's on/ignoring labels against both
// sides, and its group_left/group_right labels against the side they come
// from. A side without metric (a number) is not checked.
func checkMatching(b *metricsql.BinaryOpExpr, fs Families) []error {
	var errs []error
	left, right := labelsOf(fs, b.Left), labelsOf(fs, b.Right)
	sides := []map[string]bool{}
	if hasSelector(b.Left) {
		sides = append(sides, left)
	}
	if hasSelector(b.Right) {
		sides = append(sides, right)
	}
	for _, l := range b.GroupModifier.Args {
		for _, side := range sides {
			if !side[l] {
				errs = append(errs, fmt.Errorf("%s %s(%s): a side has no label %q", b.Op, b.GroupModifier.Op, l, l))
				break
			}
		}
	}
	from := right // group_left takes labels from the right, the "one" side
	if strings.EqualFold(b.JoinModifier.Op, "group_right") {
		from = left
	}
	for _, l := range b.JoinModifier.Args {
		if !from[l] {
			errs = append(errs, fmt.Errorf("%s %s(%s): the side it copies from has no label %q", b.Op, b.JoinModifier.Op, l, l))
		}
	}
	return errs
}

// labelsOf is every label the metrics selected in es may carry: theirs,
// the target labels, and those label_replace and label_join write.
func labelsOf(fs Families, es ...metricsql.Expr) map[string]bool {
	out := map[string]bool{}
	for _, l := range TargetLabels {
		out[l] = true
	}
	for _, e := range es {
		metricsql.VisitAll(e, func(n metricsql.Expr) {
			switch n := n.(type) {
			case *metricsql.MetricExpr:
				for _, group := range n.LabelFilterss {
					if len(group) > 0 && group[0].Label == "__name__" {
						for l := range fs[group[0].Value] {
							out[l] = true
						}
					}
				}
			case *metricsql.FuncExpr:
				if (n.Name == "label_replace" || n.Name == "label_join") && len(n.Args) > 1 {
					if s, ok := n.Args[1].(*metricsql.StringExpr); ok {
						out[s.S] = true
					}
				}
			}
		})
	}
	return out
}

func hasSelector(e metricsql.Expr) bool {
	found := false
	metricsql.VisitAll(e, func(n metricsql.Expr) {
		_, ok := n.(*metricsql.MetricExpr)
		found = found || ok
	})
	return found
}

// outputLabels approximates the labels of an expression's result, for a
// recording rule: the grouping of a top-level aggregation by labels, else
// every label of what it selects.
func outputLabels(expr string, fs Families) (map[string]bool, error) {
	e, err := metricsql.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("parse %q: %w", expr, err)
	}
	if a, ok := e.(*metricsql.AggrFuncExpr); ok && strings.EqualFold(a.Modifier.Op, "by") {
		out := map[string]bool{}
		for _, l := range a.Modifier.Args {
			out[l] = true
		}
		return out, nil
	}
	out := labelsOf(fs, e)
	for _, l := range TargetLabels {
		delete(out, l)
	}
	return out, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Metrics returns the names of the metrics an expression selects by name,
// sorted, each once.
func Metrics(expr string) ([]string, error) {
	e, err := metricsql.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("parse %q: %w", expr, err)
	}
	seen := map[string]bool{}
	metricsql.VisitAll(e, func(n metricsql.Expr) {
		if m, ok := n.(*metricsql.MetricExpr); ok {
			for _, group := range m.LabelFilterss {
				if len(group) > 0 && group[0].Label == "__name__" && !group[0].IsRegexp && !group[0].IsNegative {
					seen[group[0].Value] = true
				}
			}
		}
	})
	return sortedKeys(seen), nil
}
