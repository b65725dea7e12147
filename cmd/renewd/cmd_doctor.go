package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/spf13/pflag"

	"github.com/renewd/renewd/internal/config"
	"github.com/renewd/renewd/internal/control"
	"github.com/renewd/renewd/internal/doctor"
	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/slack"
)

// doctor's exit codes (docs/cli.md): 0 every check ok, 1 a warning, 2 a
// failure. 2 is also a usage error's code; a doctor that ran always prints
// its report (with --json, one JSON object on stdout), a usage error never
// does.
const (
	exitDoctorWarn = exitNotDone
	exitDoctorFail = exitUsage
)

// doctorOptions are doctor's flags.
type doctorOptions struct {
	slackTest bool
	sample    int
}

// setupDoctor: doctor proves the setup against the accounts with reads
// only.
func setupDoctor(e *env, fs *pflag.FlagSet) runFunc {
	var c common
	c.register(fs)
	var o doctorOptions
	asJSON := jsonFlag(fs)
	fs.BoolVar(&o.slackTest, "slack-test", false, "also post one test message to the Slack channel")
	fs.IntVar(&o.sample, "sample", doctor.DefaultSample, "the `N` services read per check (the soonest to expire)")
	return func(ctx context.Context, _ []string) error {
		if o.sample < 1 || o.sample > 50 {
			return usageErr("--sample must be between 1 and 50")
		}
		return writeDoctor(e, *asJSON, doctorReport(ctx, e, &c, o))
	}
}

// doctorReport loads the config and runs the checks. A config that does
// not load, or credentials that cannot be read, is the report's one line.
func doctorReport(ctx context.Context, e *env, c *common, o doctorOptions) doctor.Report {
	cfg, err := config.Load(c.config, e.getenv)
	if err != nil {
		return doctor.ConfigFailed(versionString(), c.config, err)
	}
	if c.logLevel == "" && cfg.Level() < slog.LevelWarn {
		c.logLevel = "warn" // the report says what the info lines would
	}
	log, err := c.logger(e, cfg)
	if err != nil {
		return doctor.ConfigFailed(versionString(), c.config, err)
	}
	setup, err := doctorSetup(e, cfg, log, o)
	if err != nil {
		return doctor.ConfigFailed(versionString(), c.config, err)
	}
	return doctor.Run(ctx, setup)
}

// doctorSetup builds the clients the checks read through.
func doctorSetup(e *env, cfg *config.Config, log *slog.Logger, o doctorOptions) (doctor.Setup, error) {
	cs, err := clients(e, cfg, log, nil)
	if err != nil {
		return doctor.Setup{}, err
	}
	slackState := "no Slack"
	s := doctor.Setup{Version: versionString(), ConfigPath: cfg.Path, StateFile: cfg.StateFile,
		Policy: cfg.Policy, Sample: o.sample}
	for i, cl := range cs {
		s.Accounts = append(s.Accounts, doctor.Account{Name: cfg.Accounts[i].Name, OVH: cl, RateLimit: cfg.Accounts[i].RateLimit})
	}
	if cfg.ControlSocket != "" {
		s.Daemon = func(ctx context.Context) (*control.Status, error) { return daemonStatus(ctx, cfg.ControlSocket) }
	}
	if sc := cfg.Slack; sc != nil {
		bot, app, err := sc.LoadTokens(e.getenv)
		if err != nil {
			return doctor.Setup{}, fmt.Errorf("slack: %w", err)
		}
		cl, err := slack.New(slack.Options{BotToken: bot.Reveal(), AppToken: app.Reveal(), Channel: sc.Channel,
			Approvers: sc.Approvers, APIURL: sc.APIURL, Logger: log})
		if err != nil {
			return doctor.Setup{}, fmt.Errorf("slack: %w", err)
		}
		s.Slack = &doctor.SlackSetup{Client: cl, Channel: sc.Channel, Approvers: sc.Approvers,
			AppToken: sc.AppTokenFile != "", Test: o.slackTest}
		slackState = "Slack channel " + sc.Channel
	}
	s.ConfigSummary = fmt.Sprintf("valid: %s, %s, %s", doctorCount(len(cfg.Accounts), "account", "accounts"),
		doctorCount(len(cfg.Policy.Rules), "policy", "policies"), slackState)
	return s, nil
}

func doctorCount(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// daemonStatus asks the daemon for its status; nil, nil when none answers.
func daemonStatus(ctx context.Context, socket string) (*control.Status, error) {
	cl, err := control.Dial(ctx, socket)
	if errors.Is(err, control.ErrNoDaemon) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	st, err := cl.Status(ctx)
	if err != nil {
		return nil, err
	}
	return &st, nil
}

// writeDoctor prints the report and turns its status into the exit code.
func writeDoctor(e *env, asJSON bool, rep doctor.Report) error {
	write := doctor.Write
	if asJSON {
		write = writeDoctorJSON
	}
	if err := write(e.stdout, rep); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	switch rep.Status {
	case doctor.Fail:
		return &exitError{code: exitDoctorFail}
	case doctor.Warn:
		return &exitError{code: exitDoctorWarn}
	}
	return nil
}

// The doctor's clients must stay read-only: these are the interfaces it
// is given, checked here where the real clients are built.
var (
	_ doctor.OVH   = (*ovh.Client)(nil)
	_ doctor.Slack = (*slack.Client)(nil)
)
