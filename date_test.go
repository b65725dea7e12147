package renewd

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestParseDateReadsEveryWireFormTheSame checks that every form OVH's routes
// write for one expiration names one calendar date: the date in the value's
// own offset, never the date of its UTC instant.
func TestParseDateReadsEveryWireFormTheSame(t *testing.T) {
	winter := Date{Year: 2026, Month: time.December, Day: 5}
	summer := Date{Year: 2026, Month: time.July, Day: 1}
	tests := []struct {
		in   string
		want Date
	}{
		{"2026-12-05", winter},                       // date-typed field
		{"2026-12-05T00:00:00+01:00", winter},        // Paris midnight, winter: 2026-12-04T23:00Z
		{"2026-12-05T19:56:28+01:00", winter},        // Paris, a time of day
		{"2026-12-05T23:59:59+01:00", winter},        // Paris, the last second of the day
		{"2026-12-05T12:30:24Z", winter},             // UTC with a time of day (manager mocks)
		{"2026-12-05T00:00:00Z", winter},             // midnight UTC
		{"2026-12-05T00:00:00.123456+01:00", winter}, // a fraction of a second
		{"2026-12-05T08:00:00", winter},              // no offset at all
		{"2026-12-05Z", winter},                      // a date with a zone
		{"2026-12-05+01:00", winter},
		{"2026-07-01T00:00:00+02:00", summer}, // Paris midnight, summer: 2026-06-30T22:00Z
		{"2026-07-01T01:30:00+02:00", summer},
		{"2026-07-01T00:00:00-05:00", summer}, // an offset west of UTC keeps its own date too
		{"2024-02-29", Date{Year: 2024, Month: time.February, Day: 29}},
	}
	for _, tt := range tests {
		got, err := ParseDate(tt.in)
		if err != nil {
			t.Errorf("ParseDate(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseDate(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestParseDateRefusesWhatIsNotADate(t *testing.T) {
	for _, in := range []string{
		"", "2026-12", "2026-13-01", "2026-02-30", "2025-02-29", "2026-12-05 10:00",
		"2026-12-05T25:00:00Z", "2026-12-05T10:00:00+1", "05/12/2026", "2026-12-05X",
		"0000-01-01", "1764892800", strings.Repeat("9", 200),
	} {
		if d, err := ParseDate(in); err == nil {
			t.Errorf("ParseDate(%q) = %s, want an error", in, d)
		}
	}
	// Outside text in an error is quoted and cut short.
	_, err := ParseDate(strings.Repeat("x", 500))
	if err == nil || len(err.Error()) > 200 {
		t.Errorf("ParseDate(long) error = %v, want a short one", err)
	}
}

func TestDateArithmeticAndOrder(t *testing.T) {
	d := MustDate("2026-01-31")
	p, _ := ParsePeriod("P1M")
	if got := d.AddPeriod(p); got != MustDate("2026-03-03") {
		t.Errorf("2026-01-31 + P1M = %s, want 2026-03-03 (Go's calendar normalisation)", got)
	}
	if got := d.AddDays(1); got != MustDate("2026-02-01") {
		t.Errorf("AddDays(1) = %s", got)
	}
	if !d.Before(d.AddDays(1)) || !d.AddDays(1).After(d) || d.Before(d) || d.After(d) || d.Compare(d) != 0 {
		t.Error("Before/After/Compare disagree with the calendar")
	}
	if got := MustDate("2026-12-31").Compare(MustDate("2027-01-01")); got != -1 {
		t.Errorf("year boundary Compare = %d", got)
	}
	if s := d.Start(); !s.Equal(time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Start = %v", s)
	}
	if !(Date{}).Start().IsZero() || (Date{}).String() != "" || !(Date{}).IsZero() {
		t.Error("the zero Date is not 'no date'")
	}
}

func TestDateJSON(t *testing.T) {
	type wrap struct {
		D Date `json:"d,omitzero"`
	}
	b, err := json.Marshal(wrap{MustDate("2026-12-05")})
	if err != nil || string(b) != `{"d":"2026-12-05"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	if b, _ := json.Marshal(wrap{}); string(b) != `{}` {
		t.Errorf("Marshal(zero) = %s, want {}", b)
	}
	var w wrap
	if err := json.Unmarshal([]byte(`{"d":"2026-12-05T00:00:00+01:00"}`), &w); err != nil || w.D != MustDate("2026-12-05") {
		t.Errorf("Unmarshal datetime = %s, %v", w.D, err)
	}
	if err := json.Unmarshal([]byte(`{"d":"tomorrow"}`), &w); err == nil {
		t.Error("Unmarshal of a bad date did not fail")
	}
}

func TestTermIsTheCalendarDate(t *testing.T) {
	expanded, _ := ParseDate("2026-12-05T00:00:00+01:00")
	plain, _ := ParseDate("2026-12-05")
	a := Service{Account: "main", ID: 1001, Expiration: expanded}.Term()
	b := Service{Account: "main", ID: 1001, Expiration: plain}.Term()
	if a != b || a.String() != "main/1001/2026-12-05" {
		t.Fatalf("terms of one expiration in two forms: %s and %s", a, b)
	}
	back, err := ParseTerm(a.String())
	if err != nil || back != a {
		t.Fatalf("ParseTerm(%s) = %v, %v", a, back, err)
	}
	for _, bad := range []string{
		"main/1001/2026-12-04T23:00:00Z", // the instant form of schema 2
		"main/1001", "/1001/2026-12-05", "main/x/2026-12-05", "main/0/2026-12-05", "main/1001/2026-12-32",
		"main/1001/2026-12-05/x",
	} {
		if _, err := ParseTerm(bad); err == nil {
			t.Errorf("ParseTerm(%q) did not fail", bad)
		}
	}
	_, err = ParseTerm("main/1001/2026-12-04T23:00:00Z")
	if err == nil || !strings.Contains(err.Error(), "calendar date") {
		t.Errorf("ParseTerm(instant) error = %v, want it to say terms are dates", err)
	}
}
