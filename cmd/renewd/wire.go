package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/time/rate"

	"github.com/renewd/renewd/internal/config"
	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/renewal"
	"github.com/renewd/renewd/internal/state"
)

// common are the flags most commands share.
type common struct {
	config    string
	logFormat string
	logLevel  string
	// level is the level of the logger that logger makes: --log-level,
	// else the config's log_level. `renewd run` hands it to the daemon,
	// which sets it on reload, when --log-level is not given.
	level slog.LevelVar
}

// register adds --config, --log-format and --log-level to fs.
func (c *common) register(fs *pflag.FlagSet) {
	fs.StringVar(&c.config, "config", defaultConfig, "the config `FILE`")
	completeFile(fs, "config")
	fs.StringVar(&c.logFormat, "log-format", "", "log `FORMAT`: text or json (default: the config's log_format)")
	completeWords(fs, "log-format", "text", "json")
	// Checked as it is parsed, so that every command refuses a bad level,
	// also those that log only now and then.
	fs.Func("log-level", "least severe lines logged, the `LEVEL`: debug, info, warn or error (default: the config's log_level)", func(s string) error {
		if s != "" {
			if _, err := config.ParseLogLevel(s); err != nil {
				return err
			}
		}
		c.logLevel = s
		return nil
	})
	completeWords(fs, "log-level", logLevels...)
}

// logLevels are the values --log-level takes.
var logLevels = []string{"debug", "info", "warn", "error"}

// loadConfig reads and validates the config; problems are usage errors that
// list every FILE:LINE: field: reason.
func loadConfig(e *env, path string) (*config.Config, error) {
	cfg, err := config.Load(path, e.getenv)
	if err != nil {
		return nil, &exitError{code: exitUsage, err: err}
	}
	return cfg, nil
}

// newLogger logs to w as text (a terminal) or JSON, the lines at level and
// above. Under systemd (stderr is the journal) the time is left out: the
// journal stamps every line.
func newLogger(e *env, w io.Writer, format string, level slog.Leveler) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	if e.getenv("JOURNAL_STREAM") != "" {
		opts.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}
	}
	switch format {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageErr("--log-format: %q is not text or json", format)
}

// load reads the config named by --config and makes the logger it asks for.
func (c *common) load(e *env) (*config.Config, *slog.Logger, error) {
	cfg, err := loadConfig(e, c.config)
	if err != nil {
		return nil, nil, err
	}
	log, err := c.logger(e, cfg)
	if err != nil {
		return nil, nil, err
	}
	return cfg, log, nil
}

// logger makes the logger the flags and the config ask for, at c.level.
func (c *common) logger(e *env, cfg *config.Config) (*slog.Logger, error) {
	format := c.logFormat
	if format == "" && cfg != nil {
		format = cfg.LogFormat
	}
	level := slog.LevelInfo
	switch {
	case c.logLevel != "":
		l, err := config.ParseLogLevel(c.logLevel) // checked by the flag already
		if err != nil {
			return nil, usageErr("--log-level: %v", err)
		}
		level = l
	case cfg != nil:
		level = cfg.Level()
	}
	c.level.Set(level)
	return newLogger(e, e.stderr, format, &c.level)
}

// clients builds one OVH client per account, with its credentials read from
// their files (or go-ovh's own sources). Secrets go to the client and
// nowhere else.
func clients(e *env, cfg *config.Config, log *slog.Logger, onRequest func(account, route string, code int)) ([]*ovh.Client, error) {
	var out []*ovh.Client
	for _, a := range cfg.Accounts {
		creds, err := a.LoadCredentials(e.getenv)
		if err != nil {
			return nil, &exitError{code: exitUsage, err: err}
		}
		opts := ovh.Options{
			Account:     a.Name,
			Endpoint:    a.Endpoint,
			AppKey:      creds.AppKey.Reveal(),
			AppSecret:   creds.AppSecret.Reveal(),
			ConsumerKey: creds.ConsumerKey.Reveal(),
			RateLimit:   rate.Limit(a.RateLimit),
			Burst:       a.Burst,
			Concurrency: a.Concurrency,
			Logger:      log, // the client names the account on every line
		}
		if onRequest != nil {
			name := a.Name
			opts.OnRequest = func(route string, code int) { onRequest(name, route, code) }
		}
		c, err := ovh.New(opts)
		if err != nil {
			return nil, &exitError{code: exitUsage, err: fmt.Errorf("account %s: %w", a.Name, err)}
		}
		out = append(out, c)
	}
	return out, nil
}

// settings turns a config and its clients into what a cycle runs with.
func settings(cfg *config.Config, cs []*ovh.Client) renewal.Settings {
	s := renewal.Settings{
		Policy:          cfg.Policy,
		DeliveryTimeout: cfg.DeliveryTimeout,
	}
	for _, c := range cs {
		s.Accounts = append(s.Accounts, c)
	}
	if cfg.Budget != nil {
		s.Budget = &renewal.Budget{MonthlyUcents: cfg.Budget.MonthlyUcents, Currency: cfg.Budget.Currency, Over: cfg.Budget.Over}
	}
	if cfg.Slack != nil {
		s.ApprovalTimeout = cfg.Slack.ApprovalTimeout
	}
	return s
}

// openLedger opens the state file. A second renewd on the same file fails
// at once with "another renewd holds FILE" (exit 1); a damaged file fails
// with state.ErrCorrupt's message (exit 3), before anything else is done.
func openLedger(path string, log *slog.Logger, readOnly bool) (*state.Ledger, error) {
	l, err := state.Open(path, state.Options{Logger: log, ReadOnly: readOnly, LockTimeout: 200 * time.Millisecond})
	if err != nil {
		if errors.Is(err, state.ErrLocked) {
			return nil, &exitError{code: exitNotDone, err: err}
		}
		if errors.Is(err, state.ErrCorrupt) {
			return nil, &exitError{code: exitLedger, err: err}
		}
		return nil, fmt.Errorf("open the ledger: %w", err)
	}
	return l, nil
}
