package main

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"
)

// setupCheckConfig: check-config validates a config file: "ok", or every
// problem as FILE:LINE: field: reason, with exit 2. It also reads the
// credential files (permissions and content), without printing them.
func setupCheckConfig(e *env, fs *pflag.FlagSet) runFunc {
	var c common
	c.register(fs)
	return func(context.Context, []string) error { return checkConfig(e, &c) }
}

func checkConfig(e *env, c *common) error {
	cfg, err := loadConfig(e, c.config)
	if err != nil {
		return err
	}
	for _, a := range cfg.Accounts {
		if _, err := a.LoadCredentials(e.getenv); err != nil {
			return &exitError{code: exitUsage, err: fmt.Errorf("%s: %w", cfg.Path, err)}
		}
	}
	if cfg.Slack != nil {
		if _, _, err := cfg.Slack.LoadTokens(e.getenv); err != nil {
			return &exitError{code: exitUsage, err: fmt.Errorf("%s: slack: %w", cfg.Path, err)}
		}
	}
	fmt.Fprintln(e.stdout, "ok")
	return nil
}
