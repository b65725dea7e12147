package config

import (
	"testing"
	"time"
)

func TestParseWindow(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
		err  string
	}{
		{in: "14d", want: 14 * Day},
		{in: "36h", want: 36 * time.Hour},
		{in: "90m", want: 90 * time.Minute},
		{in: "2w", want: 14 * Day},
		{in: "3y", want: 3 * 365 * Day},
		{in: "30s", want: 30 * time.Second},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "0", want: 0},
		{in: "P14D", want: 14 * Day},
		{in: "PT36H", want: 36 * time.Hour},
		{in: "P1DT12H", want: 36 * time.Hour},
		{in: "P2W", want: 14 * Day},
		{in: "P1Y", want: 365 * Day},
		{in: "PT90M", want: 90 * time.Minute},
		{in: "PT1H30M15S", want: time.Hour + 30*time.Minute + 15*time.Second},
		{in: "P1M", err: `"P1M" counts months, which have no fixed length; write days, e.g. P30D or 30d`},
		{in: "P1Y2M", err: `"P1Y2M" counts months, which have no fixed length; write days, e.g. P30D or 30d`},
		{in: "", err: `"" is not a duration such as 14d, 36h, 90m, 2w or P14D`},
		{in: "14", err: `"14" is not a duration such as 14d, 36h, 90m, 2w or P14D`},
		{in: "14D", err: `"14D" is not a duration such as 14d, 36h, 90m, 2w or P14D`},
		{in: "-5m", err: `"-5m" is not a duration such as 14d, 36h, 90m, 2w or P14D`},
		{in: "1.5h", err: `"1.5h" is not a duration such as 14d, 36h, 90m, 2w or P14D`},
		{in: "5ms", err: `"5ms" is not a duration such as 14d, 36h, 90m, 2w or P14D`},
		{in: "P", err: `"P" is not a duration such as 14d, 36h, 90m, 2w or P14D`},
		{in: "PT", err: `"PT" is not a duration such as 14d, 36h, 90m, 2w or P14D`},
		{in: "P1DT", err: `"P1DT" is not a duration such as 14d, 36h, 90m, 2w or P14D`},
		{in: "300y", err: `"300y" is too long a duration`},
		{in: "99999999999999999999d", err: `"99999999999999999999d" is too long a duration`},
		{in: "200y200y", err: `"200y200y" is too long a duration`},
	} {
		got, err := ParseWindow(tt.in)
		switch {
		case tt.err != "" && (err == nil || err.Error() != tt.err):
			t.Errorf("ParseWindow(%q) = %v, %v; want error %q", tt.in, got, err, tt.err)
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("ParseWindow(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestFormatWindowRoundTrips(t *testing.T) {
	for _, d := range []time.Duration{Year, 14 * Day, 36 * time.Hour, 90 * time.Minute, 45 * time.Second} {
		back, err := ParseWindow(formatWindow(d))
		if err != nil || back != d {
			t.Errorf("ParseWindow(formatWindow(%v) = %q) = %v, %v", d, formatWindow(d), back, err)
		}
	}
}
