package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// completionRig is a built renewd, named renewd in a directory of its own
// put first on PATH, and a rig whose first cycle held two approvals.
type completionRig struct {
	*daemonRig
	bin  string
	path string // PATH with the binary's directory first
}

func newCompletionRig(t *testing.T) *completionRig {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	binDir := t.TempDir()
	r := &completionRig{daemonRig: newDaemonRig(t), bin: buildRenewd(t, binDir), path: binDir + ":" + os.Getenv("PATH")}
	if code, _, errs := r.cli(t, "once"); code != exitNotDone {
		t.Fatalf("once: exit %d\n%s", code, errs)
	}
	return r
}

// shell runs script in a shell and returns its stdout.
func (r *completionRig) shell(t *testing.T, sh, script string) string {
	t.Helper()
	cmd := exec.Command(sh, "-c", script)
	cmd.Env = []string{"PATH=" + r.path, "HOME=" + t.TempDir()}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s -c %q: %v\n%s%s", sh, script, err, out.String(), errb.String())
	}
	return out.String()
}

// TestCompletionScripts runs the scripts of a built renewd in the shells:
// bash's, and zsh's and fish's where those are installed.
func TestCompletionScripts(t *testing.T) {
	r := newCompletionRig(t)
	t.Run("bash", func(t *testing.T) { testBashCompletion(t, r) })
	t.Run("zsh", func(t *testing.T) { testZshCompletion(t, r) })
	t.Run("fish", func(t *testing.T) { testFishCompletion(t, r) })
}

// testBashCompletion loads the script as its usage says and completes
// lines with it: commands, flags, flag values, files, and the pending
// approvals from the ledger.
func testBashCompletion(t *testing.T, r *completionRig) {
	if got := r.shell(t, "bash", `source <(renewd completion bash); complete -p renewd`); got != "complete -F _renewd renewd\n" {
		t.Fatalf("complete -p renewd = %q", got)
	}
	complete := func(words ...string) []string {
		t.Helper()
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = shellQuote(w)
		}
		script := `source <(renewd completion bash)
COMP_WORDS=(` + strings.Join(quoted, " ") + `); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_renewd; printf '%s\n' "${COMPREPLY[@]}"`
		return strings.Fields(r.shell(t, "bash", script))
	}
	_, status, _ := r.cli(t, "status", "--json")
	held := pendingTerms(t, status)
	var visible []string
	for _, c := range commands() {
		if !c.hidden {
			visible = append(visible, c.name)
		}
	}
	tests := []struct {
		words []string
		want  []string
	}{
		{[]string{"renewd", ""}, visible},
		{[]string{"renewd", "ap"}, []string{"approve"}},
		{[]string{"renewd", "approve", "--c"}, []string{"--config"}},
		{[]string{"renewd", "history", "--t"}, []string{"--term"}},
		{[]string{"renewd", "plan", "--log-level", ""}, []string{"debug", "info", "warn", "error"}},
		{[]string{"renewd", "plan", "--log-format", "=", ""}, []string{"text", "json"}},
		{[]string{"renewd", "help", "ver"}, []string{"version"}},
		{[]string{"renewd", "completion", ""}, []string{"bash", "zsh", "fish"}},
		{[]string{"renewd", "backup", filepath.Join(r.dir, "renewd.")}, []string{filepath.Join(r.dir, "renewd.db")}},
		{[]string{"renewd", "plan", "--config", filepath.Join(r.dir, "conf")}, []string{r.cfgPath}},
		{[]string{"renewd", "approve", "--config", r.cfgPath, "default/"}, held},
		{[]string{"renewd", "deny", "--config=" + r.cfgPath, "default/2"}, held},
		{[]string{"renewd", "approve", "--config", filepath.Join(r.dir, "none.yaml"), ""}, nil},
	}
	for _, tt := range tests {
		got := complete(tt.words...)
		if !slices.Equal(sorted(got), sorted(tt.want)) {
			t.Errorf("completing %q: %q, want %q", tt.words, got, tt.want)
		}
	}
	// Every flag of every command completes: the script is made from the
	// table, not from a list of its own.
	e := &env{getenv: os.Getenv, stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	for _, c := range commands() {
		if c.hidden {
			continue
		}
		fs, _ := c.flagSet(e)
		got := complete("renewd", c.name, "--")
		for name := range flagNames(fs) {
			if !slices.Contains(got, "--"+name) {
				t.Errorf("renewd %s --<TAB> lacks --%s: %q", c.name, name, got)
			}
		}
	}
}

// TestCompletionKindsAreKnown: a command's positional arguments complete
// in one of the ways the templates know; a new way needs a line in each.
func TestCompletionKindsAreKnown(t *testing.T) {
	known := []string{"", "file", "approvals", "commands", "shells"}
	for _, c := range commands() {
		if !slices.Contains(known, c.complete) {
			t.Errorf("renewd %s completes its arguments as %q, which no template knows", c.name, c.complete)
		}
		if c.maxArgs == 0 && c.complete != "" {
			t.Errorf("renewd %s takes no argument and completes one", c.name)
		}
	}
	for _, shell := range shells {
		if completionTemplates.Lookup(shell+".tmpl") == nil {
			t.Errorf("no template for %s", shell)
		}
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestCompleteApprovals: the helper prints the pending approvals' ids then
// their terms, from the ledger or through the daemon alike, and on any
// failure prints nothing at all and exits 1.
func TestCompleteApprovals(t *testing.T) {
	r := newDaemonRig(t)
	if code, _, errs := r.cli(t, "once"); code != exitNotDone {
		t.Fatalf("once: exit %d\n%s", code, errs)
	}
	_, status, _ := r.cli(t, "status", "--json")
	held := pendingTerms(t, status)
	code, fromLedger, errs := r.cli(t, completeCommand, "approvals")
	words := strings.Fields(fromLedger)
	if code != exitOK || errs != "" || len(words) != 2*len(held) || !slices.Equal(sorted(words[len(held):]), sorted(held)) {
		t.Fatalf("__complete approvals: exit %d, stdout %q, stderr %q; want the ids then the terms %q", code, fromLedger, errs, held)
	}
	for _, id := range words[:len(held)] {
		if !strings.Contains(status, `"id": "`+id+`"`) {
			t.Errorf("%s is not the id of a held approval:\n%s", id, status)
		}
	}
	for _, args := range [][]string{
		{completeCommand, "approvals", "--config", filepath.Join(r.dir, "none.yaml")},
		{completeCommand, "terms", "--config", r.cfgPath},
	} {
		if code, out, errs := runCLI(t, args...); code == exitOK || out != "" || errs != "" {
			t.Errorf("renewd %q: exit %d, stdout %q, stderr %q; want a failure, quiet", args, code, out, errs)
		}
	}

	ctx, cancel := context.WithCancel(t.Context())
	stderr := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"run", "--config", r.cfgPath, "--log-format", "text"}, func(string) string { return "" }, &bytes.Buffer{}, stderr)
	}()
	defer func() {
		cancel()
		<-done
	}()
	waitFor(t, "the daemon's first cycle", func() bool { return strings.Contains(stderr.String(), `msg="cycle done`) }, stderr.String)
	if code, fromDaemon, errs := r.cli(t, completeCommand, "approvals"); code != exitOK || fromDaemon != fromLedger {
		t.Errorf("through the daemon: exit %d, %q, stderr %q; want %q as from the ledger", code, fromDaemon, errs, fromLedger)
	}
}

// testZshCompletion checks the zsh script with zsh, where it is installed
// (CI does not install it): it parses, and sourcing it registers its
// function.
func testZshCompletion(t *testing.T, r *completionRig) {
	if _, err := exec.LookPath("zsh"); err != nil {
		t.Skip("zsh is not installed: its completion script is not checked")
	}
	script := filepath.Join(t.TempDir(), "_renewd")
	if err := os.WriteFile(script, []byte(r.shell(t, "bash", "renewd completion zsh")), 0o600); err != nil {
		t.Fatal(err)
	}
	r.shell(t, "zsh", "zsh -n "+shellQuote(script))
	got := r.shell(t, "zsh", `autoload -Uz compinit && compinit -u -d "$HOME/.zcompdump" && source `+shellQuote(script)+` && print -r -- $_comps[renewd]`)
	if got != "_renewd\n" {
		t.Errorf("after sourcing the zsh script, $_comps[renewd] = %q, want _renewd", got)
	}
}

// testFishCompletion checks the fish script with fish, where it is
// installed (CI does not install it): it parses, and completes a command,
// a flag value and the pending approvals.
func testFishCompletion(t *testing.T, r *completionRig) {
	if _, err := exec.LookPath("fish"); err != nil {
		t.Skip("fish is not installed: its completion script is not checked")
	}
	script := filepath.Join(t.TempDir(), "renewd.fish")
	if err := os.WriteFile(script, []byte(r.shell(t, "bash", "renewd completion fish")), 0o600); err != nil {
		t.Fatal(err)
	}
	r.shell(t, "fish", "fish -n "+shellQuote(script))
	_, status, _ := r.cli(t, "status", "--json")
	for line, want := range map[string][]string{
		"renewd ap":                 {"approve"},
		"renewd plan --log-format ": {"json", "text"},
		"renewd approve --config " + r.cfgPath + " default/": pendingTerms(t, status),
	} {
		out := r.shell(t, "fish", "source "+shellQuote(script)+"; complete -C "+shellQuote(line))
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			got = append(got, strings.SplitN(l, "\t", 2)[0])
		}
		if !slices.Equal(sorted(got), sorted(want)) {
			t.Errorf("fish completes %q with %q, want %q", line, got, want)
		}
	}
}
