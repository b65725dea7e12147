package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

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
			fmt.Fprintln(stderr, "renewd:", ee.err)
		}
		return ee.code
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintln(stderr, "renewd:", err)
	if errors.Is(err, state.ErrCorrupt) {
		return exitLedger
	}
	return exitNotDone
}

type command struct {
	name, args, help string
	run              func(ctx context.Context, env *env, args []string) error
}

// env is what every command gets from main.
type env struct {
	getenv         func(string) string
	stdout, stderr io.Writer
}

func commands() []command {
	return []command{
		{"run", "[--config FILE] [--log-format text|json] [--log-level LEVEL]", "the daemon: cycles on the schedule, control socket, /healthz and /metrics; SIGHUP reloads, SIGTERM stops", cmdRun},
		{"run-now", "[--config FILE]", "ask the running daemon for a cycle now", cmdRunNow},
		{"once", "[--config FILE] [--json]", "one cycle, then exit (0: nothing left undone, 1: something due was not renewed)", cmdOnce},
		{"plan", "[--config FILE] [--json]", "what a cycle would do now, with dryRun prices; changes nothing", cmdPlan},
		{"check-config", "[--config FILE]", "validate a config file and say what is wrong, where", cmdCheckConfig},
		{"auth", "[--config FILE] [--account NAME] [--force] [--print] [--timeout D] [--poll D]", "get a consumer key with exactly renewd's access rules, validated, into consumer_key_file", cmdAuth},
		{"doctor", "[--config FILE] [--json] [--slack-test] [--sample N]", "prove the setup against the accounts with reads only (0 ok, 1 warnings, 2 failures)", cmdDoctor},
		{"status", "[--config FILE] [--json]", "due terms, pending approvals, orders in flight", cmdStatus},
		{"history", "[--config FILE] [--service ID] [--term TERM] [--limit N] [--json]", "the ledger's record of every transition", cmdHistory},
		{"approve", "[--config FILE] [--by NOTE] TERM|APPROVAL_ID", "approve a renewal held for approval (recorded as cli:YOUR_USER)", cmdApprove},
		{"deny", "[--config FILE] [--by NOTE] TERM|APPROVAL_ID", "deny a renewal held for approval (recorded as cli:YOUR_USER)", cmdDeny},
		{"backup", "[--config FILE] FILE", "write a consistent copy of the ledger", cmdBackup},
		{"demo", "[--keep] [--log-level LEVEL]", "cycles against a built-in fake OVH: pays what is due, then nothing twice, then an approved renewal", cmdDemo},
		{"version", "", "print the version", cmdVersion},
	}
}

// run is renewd's whole command line, without the process around it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	e := &env{getenv: getenv, stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(stdout)
		if len(args) == 0 {
			return &exitError{code: exitUsage}
		}
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	printUsage(stderr)
	return usageErr("unknown command %q", args[0])
}

func printUsage(w io.Writer) {
	var b strings.Builder
	b.WriteString("renewd renews OVHcloud services before they expire, within your policies, and never pays twice.\n\nUsage:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  renewd %-13s %s\n      %s\n", c.name, c.args, c.help)
	}
	fmt.Fprintf(&b, "\n--config defaults to %s. Every command but demo and version also takes\n"+
		"--log-format text|json and --log-level debug|info|warn|error (debug logs each OVH call;\n"+
		"the default is the config's log_level).\n"+
		"Exit codes: 0 ok, 1 not done or failed, 2 usage or config error, 3 damaged ledger (docs/cli.md).\n", defaultConfig)
	io.WriteString(w, b.String())
}

// flags makes a command's flag set; parse errors are usage errors.
func flags(e *env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("renewd "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string, positional int) ([]string, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, &exitError{code: exitUsage}
	}
	if positional >= 0 && fs.NArg() != positional {
		return nil, usageErr("%s: want %d argument(s), got %d: %q", fs.Name(), positional, fs.NArg(), fs.Args())
	}
	return fs.Args(), nil
}

func cmdVersion(_ context.Context, e *env, args []string) error {
	if _, err := parse(flags(e, "version"), args, 0); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "renewd", versionString())
	return nil
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
