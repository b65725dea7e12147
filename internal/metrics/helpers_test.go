package metrics

import (
	"testing"

	dto "github.com/prometheus/client_model/go"
)

// gatherFamily returns the series of one metric family, none when absent.
func gatherFamily(t *testing.T, m *Metrics, name string) []*dto.Metric {
	t.Helper()
	mfs, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()
		}
	}
	return nil
}
