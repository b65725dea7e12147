package main

import (
	"fmt"
	"log/slog"

	"github.com/renewd/renewd/internal/config"
	"github.com/renewd/renewd/internal/daemon"
	"github.com/renewd/renewd/internal/notify"
	"github.com/renewd/renewd/internal/slack"
)

// senderFor returns what delivers reports and, with Slack, the source of
// approvals (its buttons, over Socket Mode). Without a slack section reports
// go to the log and approvals through `renewd approve` only. interactive is
// false for a process that does not stay to listen for clicks (`once`): its
// approval requests carry no buttons and say how to decide with the CLI.
// onSocket, when set, is told whether Slack approvals work (a metric).
func senderFor(e *env, cfg *config.Config, log *slog.Logger, interactive bool, onSocket func(up bool)) (notify.Sender, daemon.Approvals, error) {
	if cfg.Slack == nil {
		return notify.LogSender{Logger: log}, nil, nil
	}
	bot, app, err := cfg.Slack.LoadTokens(e.getenv)
	if err != nil {
		return nil, nil, &exitError{code: exitUsage, err: fmt.Errorf("%s: slack: %w", cfg.Path, err)}
	}
	c, err := slack.New(slack.Options{
		BotToken: bot.Reveal(), AppToken: app.Reveal(), Channel: cfg.Slack.Channel,
		Approvers: cfg.Slack.Approvers, APIURL: cfg.Slack.APIURL, Notify: cfg.Slack.Notifies,
		Logger: log.With("component", "slack"), NoButtons: !interactive,
		DigestList: cfg.Slack.DigestList, OnSocketMode: onSocket,
	})
	if err != nil {
		return nil, nil, &exitError{code: exitUsage, err: fmt.Errorf("%s: slack: %w", cfg.Path, err)}
	}
	if !interactive || app.Reveal() == "" {
		return c, nil, nil // reports only: approvals through the CLI
	}
	return c, c, nil
}
