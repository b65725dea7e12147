package renewd

import (
	"errors"
	"math"
	"testing"
)

func TestUcentsFromFloat(t *testing.T) {
	tests := []struct {
		in      float64
		want    int64
		wantErr bool
	}{
		{37.87, 3_787_000_000, false},
		{1.99, 199_000_000, false},
		{0.1 + 0.2, 30_000_000, false}, // float noise rounds away
		{-1, -100_000_000, false},      // converted; ValidPrice refuses it
		{0, 0, false},
		{1e7, MaxUcents, false},
		{9_999_999.99999999, MaxUcents - 1, false}, // exact to the micro-cent up to the maximum
		{92_233_720_369, 0, true},                  // 9.2e18 micro-cents: does not fit
		{-92_233_720_369, 0, true},
		{1e300, 0, true},
		{-1e300, 0, true},
		{math.Inf(1), 0, true},
		{math.Inf(-1), 0, true},
		{math.NaN(), 0, true},
	}
	for _, tt := range tests {
		got, err := UcentsFromFloat(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("UcentsFromFloat(%g) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !errors.Is(err, ErrAmountRange) {
			t.Errorf("UcentsFromFloat(%g): error %v does not wrap ErrAmountRange", tt.in, err)
		}
		if err == nil && tt.in > 0 && got < 0 {
			t.Errorf("UcentsFromFloat(%g) wrapped around to %d", tt.in, got)
		}
	}
}

func TestAddUcents(t *testing.T) {
	tests := []struct {
		a, b    int64
		want    int64
		wantErr bool
	}{
		{1, 2, 3, false},
		{MaxUcents, MaxUcents, 2 * MaxUcents, false},
		{math.MaxInt64, 0, math.MaxInt64, false},
		{math.MaxInt64, 1, 0, true},
		{math.MaxInt64 - 5, 10, 0, true},
		{math.MinInt64, -1, 0, true},
		{math.MinInt64, 1, math.MinInt64 + 1, false},
		{-5, 3, -2, false},
	}
	for _, tt := range tests {
		got, err := AddUcents(tt.a, tt.b)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("AddUcents(%d, %d) = %d, %v; want %d, error %v", tt.a, tt.b, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !errors.Is(err, ErrAmountRange) {
			t.Errorf("AddUcents(%d, %d): error %v does not wrap ErrAmountRange", tt.a, tt.b, err)
		}
	}
}

func TestValidPrice(t *testing.T) {
	tests := []struct {
		in int64
		ok bool
	}{
		{1, true},
		{3_787_000_000, true},
		{MaxUcents, true},
		{MaxUcents + 1, false},
		{0, false},
		{-1, false},
		{math.MinInt64, false},
		{math.MaxInt64, false},
		{999_999_999_999_999_999, false}, // 18 digits
	}
	for _, tt := range tests {
		err := ValidPrice(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ValidPrice(%d) = %v, want ok %v", tt.in, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrUnusablePrice) {
			t.Errorf("ValidPrice(%d): %v does not wrap ErrUnusablePrice", tt.in, err)
		}
	}
}

func TestFormatAmountExtremes(t *testing.T) {
	tests := map[int64]string{
		0:                "0.00",
		-1:               "-0.00000001",
		math.MinInt64:    "-92233720368.54775808",
		math.MaxInt64:    "92233720368.54775807",
		MaxUcents:        "10000000.00",
		3_787_000_000:    "37.87",
		-100_000_000_000: "-1000.00",
	}
	for in, want := range tests {
		if got := FormatAmount(in); got != want {
			t.Errorf("FormatAmount(%d) = %q, want %q", in, got, want)
		}
	}
}
