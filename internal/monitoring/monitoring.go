// Package monitoring reads the monitoring files renewd ships, the Prometheus
// rule file (deploy/prometheus/alerts.yml) and the Grafana dashboard
// (deploy/grafana/renewd.json), and checks their PromQL against the metric
// families renewd exposes: every metric a query selects must exist, and
// every label it matches on, groups by or joins on must be one those
// metrics carry. Tests use it, against a registry or a live /metrics
// scrape; the daemon does not.
//
// Queries are parsed with VictoriaMetrics' metricsql, a PromQL parser that
// accepts a superset of PromQL; promtool (see .ci/run) checks that the
// rules are PromQL as Prometheus reads it. Grafana's variables are replaced
// before parsing (see Grafana).
package monitoring

import (
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TargetLabels are the labels Prometheus adds to every scraped series;
// queries may match on them though renewd does not expose them.
var TargetLabels = []string{"job", "instance"}

// Query is one PromQL expression and where it comes from.
type Query struct {
	// Where names the query for errors: `alert RenewdX`, `panel "Outbox"`.
	Where string
	Expr  string
}

// Families are metric families by name, each with the set of its label
// names (over all its series).
type Families map[string]map[string]bool

// Names returns the family names, sorted.
func (fs Families) Names() []string { return slices.Sorted(maps.Keys(fs)) }

// FromGatherer returns the families a registry exposes now. A vector with
// no series yet is not exposed, and so not in the result.
func FromGatherer(g prometheus.Gatherer) (Families, error) {
	mfs, err := g.Gather()
	if err != nil {
		return nil, fmt.Errorf("gather: %w", err)
	}
	return fromDTO(mfs), nil
}

// FromText parses a scrape in the Prometheus text format.
func FromText(r io.Reader) (Families, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	byName, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("parse the scrape: %w", err)
	}
	return fromDTO(slices.Collect(maps.Values(byName))), nil
}

func fromDTO(mfs []*dto.MetricFamily) Families {
	out := Families{}
	for _, mf := range mfs {
		labels := map[string]bool{}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = true
			}
		}
		// A histogram or summary is queried by its series' names.
		switch mf.GetType() {
		case dto.MetricType_HISTOGRAM:
			out[mf.GetName()+"_bucket"] = withLabel(labels, "le")
			out[mf.GetName()+"_sum"], out[mf.GetName()+"_count"] = labels, labels
		case dto.MetricType_SUMMARY:
			out[mf.GetName()] = withLabel(labels, "quantile")
			out[mf.GetName()+"_sum"], out[mf.GetName()+"_count"] = labels, labels
		default:
			out[mf.GetName()] = labels
		}
	}
	return out
}

func withLabel(labels map[string]bool, name string) map[string]bool {
	out := maps.Clone(labels)
	out[name] = true
	return out
}

// With returns fs with more families added (recorded by rules); fs is not
// changed.
func (fs Families) With(more Families) Families {
	out := maps.Clone(fs)
	maps.Copy(out, more)
	return out
}

// Check parses every query and checks it against fs. It returns one error
// per problem, each naming the query's Where: a query that does not parse,
// selects no metric by name, selects a metric fs lacks, or matches on,
// aggregates by or joins on a label that none of the metrics it selects
// has (TargetLabels aside).
func Check(queries []Query, fs Families) []error {
	var errs []error
	for _, q := range queries {
		for _, err := range checkExpr(q.Expr, fs) {
			errs = append(errs, fmt.Errorf("%s: %w", q.Where, err))
		}
	}
	return errs
}
