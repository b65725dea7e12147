package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/renewd/renewd/internal/doctor"
	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/ovhfake"
)

// demoRules are renewd's access rules in the fake's words: the demo's key
// is the one `renewd auth` asks for.
func demoRules() []ovhfake.AccessRule {
	var out []ovhfake.AccessRule
	for _, r := range ovh.AccessRules() {
		out = append(out, ovhfake.AccessRule{Method: r.Method, Path: r.Path})
	}
	return out
}

// demoDoctor runs renewd doctor on the demo's config, as a newcomer would
// before anything else, and checks from the fake's record that it only
// read.
func demoDoctor(ctx context.Context, e *env, cfgPath string, fake *ovhfake.Fake) error {
	out := e.stdout
	fmt.Fprintln(out, "== renewd doctor: the setup proven against the account, with reads only ==")
	before := fake.Requests()
	rep := doctorReport(ctx, e, &common{config: cfgPath, logLevel: "error"}, doctorOptions{sample: doctor.DefaultSample})
	if err := doctor.Write(out, rep); err != nil {
		return err
	}
	reads, writes := 0, 0
	for route, n := range fake.Requests() {
		n -= before[route]
		if strings.HasPrefix(route, "GET ") {
			reads += n
		} else {
			writes += n
		}
	}
	if writes != 0 {
		return fmt.Errorf("renewd doctor made %d requests to the fake OVH that are not reads", writes)
	}
	fmt.Fprintf(out, "(doctor's verdict: %s; it made %d requests to the fake OVH, every one a GET. The demo goes on,\n"+
		"as renewd would: the failures above are what a sysadmin fixes before the services they name fall due.)\n\n", rep.Status, reads)
	return nil
}
