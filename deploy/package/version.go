package main

import (
	"bytes"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
)

// target is how Go builds for one Debian architecture.
type target struct{ goarch, goarm string }

// archs are the Debian architectures the package builds for, with Go's
// name for each.
var archs = map[string]target{
	"amd64":   {goarch: "amd64"},
	"arm64":   {goarch: "arm64"},
	"armhf":   {goarch: "arm", goarm: "7"},
	"i386":    {goarch: "386"},
	"ppc64el": {goarch: "ppc64le"},
	"riscv64": {goarch: "riscv64"},
	"s390x":   {goarch: "s390x"},
}

func archNames() []string { return slices.Sorted(maps.Keys(archs)) }

var (
	// describeRE is what `git describe --tags --always` prints for a tree
	// with a tag: the tag (v1.2, v1.2.3, v1.3.0-rc.1), and after a commit
	// past it the count of commits and the abbreviated hash. The version
	// has a dot, which no hash has.
	describeRE = regexp.MustCompile(`^v?([0-9]+(?:\.[0-9]+)+)(?:-([0-9A-Za-z.]+))??(?:-([0-9]+)-g([0-9a-f]+))?$`)
	// hashRE is what it prints without a tag: the abbreviated hash.
	hashRE = regexp.MustCompile(`^[0-9a-f]{4,40}$`)
	// stampRE is what may be stamped into the binary (-X main.version=).
	stampRE = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z.+~_-]*$`)
)

// debianVersion turns the version stamped into renewd into the package's
// Debian version, so that dpkg orders builds as git does:
//
//	v1.2.3           1.2.3
//	v1.2.3-4-gabc123 1.2.3+4.gabc123  (4 commits after v1.2.3: above it)
//	v1.3.0-rc.1      1.3.0~rc.1       (a pre-release: below 1.3.0)
//	abc1234          0.0.0+git57.gabc1234  (no tag: commits counts the commits)
//
// commits is called only for an untagged hash. Anything else is refused.
func debianVersion(v string, commits func() (string, error)) (string, error) {
	if !stampRE.MatchString(v) {
		return "", fmt.Errorf("version %q: want letters, digits and . + ~ _ - only, starting with a letter or digit", v)
	}
	if hashRE.MatchString(v) {
		n, err := commits()
		if err != nil {
			return "", fmt.Errorf("count the commits for untagged version %s: %w", v, err)
		}
		if _, err := strconv.Atoi(n); err != nil {
			return "", fmt.Errorf("commit count %q is not a number", n)
		}
		return "0.0.0+git" + n + ".g" + v, nil
	}
	m := describeRE.FindStringSubmatch(v)
	if m == nil {
		return "", fmt.Errorf("version %q is neither a tag such as v1.2.3 (as git describe prints it) nor a commit hash; pass -version", v)
	}
	out := m[1]
	if m[2] != "" {
		out += "~" + m[2]
	}
	if m[3] != "" {
		out += "+" + m[3] + ".g" + m[4]
	}
	return out, nil
}

// unitExecStart is the start of the ExecStart= line of
// deploy/systemd/renewd.service, which installs from source into
// /usr/local/bin; the package installs renewd in /usr/bin.
var (
	unitExecStart     = []byte("\nExecStart=/usr/local/bin/renewd ")
	packagedExecStart = []byte("\nExecStart=/usr/bin/renewd ")
)

// packagedUnit is the unit with ExecStart= pointing at /usr/bin/renewd. The
// unit must have exactly one such line to rewrite.
func packagedUnit(unit []byte) ([]byte, error) {
	if n := bytes.Count(unit, unitExecStart); n != 1 {
		return nil, fmt.Errorf("want one line starting %q to rewrite, found %d", bytes.TrimSpace(unitExecStart), n)
	}
	return bytes.Replace(unit, unitExecStart, packagedExecStart, 1), nil
}
