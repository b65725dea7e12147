package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/renewd/renewd/internal/ovhfake"
)

// Slack canaries: the tokens go to Slack and nowhere else.
var slackCanaries = [2]string{"xoxb-canary-bot-4e1d", "xapp-canary-app-c07b"}

// TestRunLeaksNoSecret runs the real `renewd run` with canary OVH
// credentials and canary Slack tokens (against a Slack that answers 500 to
// everything) through a cycle with faults on the money routes and a GET, a
// SIGHUP that loads a wrong secret and log_level debug, a cycle that fails
// on it and logs every OVH call, and SIGTERM; then greps every byte renewd
// wrote for the canaries.
func TestRunLeaksNoSecret(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildDaemonBinary(t)
	dir := t.TempDir()
	sockDir, err := os.MkdirTemp("", "rd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	socket := filepath.Join(sockDir, "c.sock")

	fake := ovhfake.New(ovhfake.SampleScenario(time.Now()), ovhfake.Options{
		AppKey: cliCreds[0], AppSecret: cliCreds[1], ConsumerKey: cliCreds[2]})
	fake.Inject(ovhfake.Fault{Route: "POST /service/{id}/renew", DropAfterWork: true, Times: 1})
	fake.Inject(ovhfake.Fault{Route: "POST /me/order/{id}/pay", StatusAfterWork: 500, Times: 1})
	fake.Inject(ovhfake.Fault{Route: "GET /service/{id}/renew", Status: 500, Times: 1})
	ovhSrv := httptest.NewServer(fake)
	t.Cleanup(ovhSrv.Close)

	var slackCalls, slackSawToken atomic.Int64
	slackSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		slackCalls.Add(1)
		if strings.Contains(r.Header.Get("Authorization")+string(body), "canary") {
			slackSawToken.Add(1)
		}
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	t.Cleanup(slackSrv.Close)

	files := map[string]string{
		"ovh-application-key": cliCreds[0], "ovh-application-secret": cliCreds[1], "ovh-consumer-key": cliCreds[2],
		"slack-bot": slackCanaries[0], "slack-app": slackCanaries[1],
	}
	for name, v := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfgPath := filepath.Join(dir, "config.yaml")
	cfg := fmt.Sprintf(`control_socket: %[1]s
slack:
  bot_token_file: %[2]s/slack-bot
  app_token_file: %[2]s/slack-app
  channel: C0123456789
  approvers: [U0123456789]
  api_url: %[3]s/
`, socket, dir, slackSrv.URL) + fmt.Sprintf(demoConfig, dir, ovhSrv.URL+"/1.0")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}

	d := startDaemon(t, bin, cfgPath, "HOME="+dir)
	stdout, stderr := &d.stdout, &d.stderr
	cycles := func() int { return strings.Count(stderr.String(), "msg=\"cycle done") }
	waitFor(t, "the first cycle", func() bool { return cycles() >= 1 }, stderr.String)
	waitFor(t, "a call to Slack", func() bool { return slackCalls.Load() > 0 }, stderr.String)

	if strings.Contains(stderr.String(), "ovh call") {
		t.Fatalf("OVH calls logged at the default level:\n%s", stderr.String())
	}

	// A wrong secret and log_level debug, loaded by SIGHUP: the next cycle
	// fails on the secret, and logs each of its OVH calls.
	wrong := "AS-canary-wrong-0b7e"
	if err := os.WriteFile(filepath.Join(dir, "ovh-application-secret"), []byte(wrong+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgPath, []byte("log_level: debug\n"+cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	d.signal(t, syscall.SIGHUP)
	waitFor(t, "the reload", func() bool { return strings.Contains(stderr.String(), "config reloaded") }, stderr.String)
	var out, errb lockedBuffer
	if code := exitCode(run(t.Context(), []string{"run-now", "--config", cfgPath}, func(string) string { return "" }, &out, &errb), &errb); code != 0 {
		t.Fatalf("run-now: exit %d: %s", code, errb.String())
	}
	waitFor(t, "the failing cycle", func() bool { return strings.Contains(stderr.String(), "cycle done with errors") }, stderr.String)

	d.stop(t)

	all := stdout.String() + stderr.String() + out.String() + errb.String()
	for _, s := range []string{cliCreds[1], cliCreds[2], wrong, slackCanaries[0], slackCanaries[1]} {
		if strings.Contains(all, s) {
			t.Errorf("secret %q leaked into renewd's output:\n%s", s, all)
		}
	}
	if !regexp.MustCompile(`level=DEBUG msg="ovh call" account=default method=GET route=/\S+ path=/\S+ status=[1-5]\d\d duration=\S+ query_id=FAKE\.`).MatchString(stderr.String()) {
		t.Errorf("no OVH call logged after the reload to log_level debug:\n%s", stderr.String())
	}
	if slackSawToken.Load() == 0 {
		t.Error("Slack never received the bot token: the Slack path was not exercised")
	}
	if len(fake.Payments()) == 0 {
		t.Errorf("nothing paid: the money path was not exercised\n%s", stderr.String())
	}
}
