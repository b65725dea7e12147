package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/spf13/pflag"

	"github.com/renewd/renewd/internal/state"
)

// Exit codes, the same for every command (docs/cli.md, "Exit codes").
const (
	exitOK      = 0 // done; for once, nothing due was left undone
	exitNotDone = 1 // something due was not renewed, or a command failed
	exitUsage   = 2 // bad arguments or a bad config
	exitLedger  = 3 // the ledger file is damaged (state.ErrCorrupt): nothing was done, no OVH call made
)

const defaultConfig = "/etc/renewd/config.yaml"

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

// exitError carries an exit code. A nil err with a code means the command
// already said what it had to say.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// exitCode prints err (when it says something) and returns the exit code.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "renewd:", printableLines(ee.err.Error()))
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "renewd:", printableLines(err.Error()))
	if errors.Is(err, state.ErrCorrupt) {
		return exitLedger
	}
	return exitNotDone
}

// env is what every command gets from main.
type env struct {
	getenv         func(string) string
	stdout, stderr io.Writer
}

// commands is renewd's command line, in the order `renewd help` lists it.
func commands() []command {
	return []command{
		{name: "run", summary: "the daemon: cycles on the schedule, control socket, /healthz and /metrics; SIGHUP reloads, SIGTERM stops",
			example: "renewd run --config /etc/renewd/config.yaml --log-format json", setup: setupRun},
		{name: "run-now", summary: "ask the running daemon for a cycle now",
			example: "renewd run-now && renewd status", setup: setupRunNow},
		{name: "once", summary: "one cycle, then exit (0: nothing left undone, 1: something due was not renewed)",
			example: "renewd once --json | jq '.services[] | select(.not_renewed)'", setup: setupOnce},
		{name: "plan", summary: "what a cycle would do now, with dryRun prices; changes nothing",
			example: "renewd plan --json | jq -r '.services[] | select(.action == \"paid\") | .term'", setup: setupPlan},
		{name: "check-config", summary: "validate a config file and say what is wrong, where",
			example: "renewd check-config --config /etc/renewd/config.yaml.new", setup: setupCheckConfig},
		{name: "auth", summary: "get a consumer key with exactly renewd's access rules, validated, into consumer_key_file",
			example: "renewd auth --account main\nrenewd auth --print", setup: setupAuth},
		{name: "doctor", summary: "prove the setup against the accounts with reads only (0 ok, 1 warnings, 2 failures)",
			example: "renewd doctor --json | jq -r '.checks[] | select(.status != \"ok\") | .title'", setup: setupDoctor},
		{name: "status", summary: "due terms, pending approvals, orders in flight; the daemon's next and last cycle",
			example: "renewd status --json | jq -r '.terms[] | select(.approval.decision == null and .status == \"awaiting_approval\") | .approval.id'",
			setup:   setupStatus},
		{name: "history", summary: "the ledger's record of every transition",
			example: "renewd history --term main/1001/2026-12-05\nrenewd history --service 1001 --limit 20 --json", setup: setupHistory},
		{name: "approve", args: "TERM|APPROVAL_ID", minArgs: 1, maxArgs: 1, complete: "approvals",
			summary: "approve a renewal held for approval (recorded as cli:YOUR_USER)",
			example: "sudo renewd approve main/1001/2026-12-05 --by alice", setup: setupDecide("approve")},
		{name: "deny", args: "TERM|APPROVAL_ID", minArgs: 1, maxArgs: 1, complete: "approvals",
			summary: "deny a renewal held for approval (recorded as cli:YOUR_USER)",
			example: "renewd deny hqggcwpyyw3ocm66khtuonelj4", setup: setupDecide("deny")},
		{name: "backup", args: "FILE", minArgs: 1, maxArgs: 1, complete: "file",
			summary: "write a consistent copy of the ledger, also while the daemon runs",
			example: "renewd backup /var/backups/renewd-$(date +%F).db", setup: setupBackup},
		{name: "demo", summary: "cycles against a built-in fake OVH: pays what is due, then nothing twice, then an approved renewal",
			example: "renewd demo --keep", setup: setupDemo},
		{name: "completion", args: "bash|zsh|fish", minArgs: 1, maxArgs: 1, complete: "shells",
			summary: "print a shell completion script",
			example: "source <(renewd completion bash)\nrenewd completion zsh > \"${fpath[1]}/_renewd\"\nrenewd completion fish > ~/.config/fish/completions/renewd.fish",
			setup:   setupCompletion},
		{name: "help", args: "[COMMAND]", maxArgs: 1, complete: "commands", summary: "list the commands, or show one's flags and an example",
			example: "renewd help approve", setup: setupHelp},
		{name: "version", summary: "print the version", example: "renewd version", setup: setupVersion},
		{name: completeCommand, args: "approvals", minArgs: 1, maxArgs: 1, hidden: true,
			summary: "what the completion scripts ask: pending approval ids and terms, one a line; quiet on failure",
			setup:   setupComplete},
	}
}

// run is renewd's whole command line, without the process around it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	e := &env{getenv: getenv, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		printUsage(stdout)
		return &exitError{code: exitUsage}
	}
	if args[0] == "-h" || args[0] == "--help" {
		printUsage(stdout)
		return nil
	}
	c, ok := lookup(args[0])
	if !ok {
		printUsage(stderr)
		return usageErr("unknown command %+q", args[0])
	}
	return c.exec(ctx, e, args[1:])
}

func setupVersion(e *env, _ *pflag.FlagSet) runFunc {
	return func(context.Context, []string) error {
		fmt.Fprintln(e.stdout, "renewd", versionString())
		return nil
	}
}

// versionString is the build's version: -ldflags "-X main.version=...", the
// module version, or "devel".
func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
