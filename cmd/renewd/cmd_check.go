package main

import (
	"context"
	"fmt"
)

// cmdCheckConfig validates a config file: "ok", or every problem as
// FILE:LINE: field: reason, with exit 2. It also reads the credential files
// (permissions and content), without printing them.
func cmdCheckConfig(_ context.Context, e *env, args []string) error {
	var c common
	fs := flags(e, "check-config")
	c.register(fs)
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
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
