package main

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestDebianVersion(t *testing.T) {
	commits := func() (string, error) { return "57", nil }
	tests := []struct {
		in, want string
		wantErr  string
	}{
		{in: "v1.2.3", want: "1.2.3"},
		{in: "1.2.3", want: "1.2.3"},
		{in: "v0.4", want: "0.4"},
		{in: "v1.2.3-4-gabc1234", want: "1.2.3+4.gabc1234"},
		{in: "v1.3.0-rc.1", want: "1.3.0~rc.1"},
		{in: "v1.3.0-rc1-2-gdef5678", want: "1.3.0~rc1+2.gdef5678"},
		{in: "7fc1610", want: "0.0.0+git57.g7fc1610"},
		{in: "7161234", want: "0.0.0+git57.g7161234"}, // a hash of digits alone is still a hash
		{in: "2", wantErr: "neither a tag"},
		{in: "v1.2.3 ; rm -rf /", wantErr: "letters, digits"},
		{in: "", wantErr: "letters, digits"},
		{in: "release-candidate", wantErr: "neither a tag"},
		{in: "v1.2.3-dirty", want: "1.2.3~dirty"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := debianVersion(tt.in, commits)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("debianVersion(%q) = %q, %v; want an error saying %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("debianVersion(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
	if _, err := debianVersion("abc1234", func() (string, error) { return "", errors.New("no git") }); err == nil {
		t.Error("an untagged hash without a commit count: no error")
	}
}

func TestPackagedUnit(t *testing.T) {
	unit, err := os.ReadFile("../systemd/renewd.service")
	if err != nil {
		t.Fatal(err)
	}
	got, err := packagedUnit(unit)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(got), "/usr/local/bin/renewd") || !strings.Contains(string(got), "\nExecStart=/usr/bin/renewd run --config /etc/renewd/config.yaml") {
		t.Errorf("packaged unit's ExecStart not rewritten to /usr/bin/renewd:\n%s", got)
	}
	if len(got) != len(unit)-len("/local") {
		t.Errorf("the rewrite changed more than the ExecStart path")
	}
	for _, bad := range []string{"[Service]\nExecStart=/opt/renewd run\n",
		"[Service]\nExecStart=/usr/local/bin/renewd run\nExecStart=/usr/local/bin/renewd once\n"} {
		if _, err := packagedUnit([]byte(bad)); err == nil {
			t.Errorf("packagedUnit(%q): no error", bad)
		}
	}
}
