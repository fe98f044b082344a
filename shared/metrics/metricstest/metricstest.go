// Package metricstest scrapes a running binary's /metrics as Prometheus
// does (plain text exposition format) and reads values out of it, for
// tests that check a series moved.
package metricstest

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Families are one scrape, by metric name.
type Families map[string]*dto.MetricFamily

// Scrape fetches base+"/metrics" asking for the text format (what
// Prometheus's parser reads) and parses it strictly: a malformed
// exposition fails the test.
func Scrape(t testing.TB, base, token string) Families {
	t.Helper()
	f, err := TryScrape(base, token)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TryScrape is Scrape for polling loops.
func TryScrape(base, token string) (Families, error) {
	req, err := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s: status %d", base, resp.StatusCode)
	}
	if ct := expfmt.ResponseFormat(resp.Header); ct.FormatType() != expfmt.TypeTextPlain {
		return nil, fmt.Errorf("scrape %s: content type %q, want the text format", base, resp.Header.Get("Content-Type"))
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: parse: %w", base, err)
	}
	return Families(fams), nil
}

// Value is the value of the series of name whose labels include every
// pair of labels (name=value, alternating), summed over the series that
// match; a histogram gives its sample count. ok is false when no series
// matches.
func (f Families) Value(name string, labels ...string) (v float64, ok bool) {
	fam := f[name]
	if fam == nil {
		return 0, false
	}
next:
	for _, m := range fam.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			if !slices.ContainsFunc(m.GetLabel(), func(l *dto.LabelPair) bool {
				return l.GetName() == labels[i] && l.GetValue() == labels[i+1]
			}) {
				continue next
			}
		}
		ok = true
		switch {
		case m.GetGauge() != nil:
			v += m.GetGauge().GetValue()
		case m.GetCounter() != nil:
			v += m.GetCounter().GetValue()
		case m.GetHistogram() != nil:
			v += float64(m.GetHistogram().GetSampleCount())
		case m.GetUntyped() != nil:
			v += m.GetUntyped().GetValue()
		}
	}
	return v, ok
}
