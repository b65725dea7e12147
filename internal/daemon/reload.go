package daemon

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/renewd/renewd/internal/config"
	"github.com/renewd/renewd/internal/scheduler"
)

// Reload reads the configuration again and, when it is valid and its
// settings build, puts it in force: the next cycle uses it (a running cycle
// finishes with the old one), the schedule is planned again, and what
// changed is logged. A config that fails is refused with every FILE:LINE
// problem logged, and the old one stays in force. Settings that only a
// restart changes (state_file, control_socket, control_group, listen,
// log_format, slack) keep their old values, with a warning. log_level
// applies at once when Options.LogLevel is set. A reload that puts a
// config in force also queues the parked reports again (the operator fixed
// what Slack refused them for).
//
// It tells systemd RELOADING=1 (with MONOTONIC_USEC, as Type=notify-reload
// wants) first and READY=1 last, whatever the outcome.
func (d *Daemon) Reload() error {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	d.notify(fmt.Sprintf("RELOADING=1\nMONOTONIC_USEC=%d", monotonicUsec()))
	defer d.notify("READY=1")
	err := d.reload()
	if err != nil {
		d.log.Error("config reload refused; the previous config stays in force", "err", err)
		d.notify("STATUS=config reload refused; see the log")
		return err
	}
	return nil
}

func (d *Daemon) reload() error {
	if d.opts.Reload == nil {
		return errors.New("reload is not available")
	}
	cfg, err := d.opts.Reload()
	if err != nil {
		var errs config.Errors
		if errors.As(err, &errs) {
			for _, e := range errs {
				d.log.Error("config problem", "at", e.Error())
			}
		}
		return fmt.Errorf("read the config: %w", err)
	}
	old := d.config()
	next := *cfg
	d.keepRestartOnly(old, &next)
	if _, err := scheduler.Parse(next.Schedule); err != nil {
		return err
	}
	s, err := d.opts.Settings(&next)
	if err != nil {
		return fmt.Errorf("build the cycle's settings: %w", err)
	}
	d.cur.Store(&loaded{cfg: &next, settings: s})
	d.applyLogLevel(old, &next)
	changes := diff(old, &next)
	if old.Schedule != next.Schedule || old.Jitter != next.Jitter {
		if err := d.sched.Reschedule(next.Schedule, next.Jitter); err != nil {
			return err // cannot happen: parsed above
		}
	}
	if len(changes) == 0 {
		d.log.Info("config reloaded: no change")
	} else {
		d.log.Info("config reloaded", "changes", strings.Join(changes, "; "))
	}
	d.notify("STATUS=config reloaded; next cycle at " + formatTime(d.sched.Next()))
	d.requeueParked("reload")
	return nil
}

// keepRestartOnly puts back in next the old values of what Reload cannot
// change, warning about each one that differs.
func (d *Daemon) keepRestartOnly(old *config.Config, next *config.Config) {
	warn := func(field string) {
		d.log.Warn("config change needs a restart; the old value stays until then", "field", field)
	}
	if next.StateFile != old.StateFile {
		warn("state_file")
		next.StateFile = old.StateFile
	}
	if next.ControlSocket != old.ControlSocket {
		warn("control_socket")
		next.ControlSocket = old.ControlSocket
	}
	if next.ControlGroup != old.ControlGroup {
		warn("control_group")
		next.ControlGroup = old.ControlGroup
	}
	if next.Listen != old.Listen {
		warn("listen")
		next.Listen = old.Listen
	}
	if next.LogFormat != old.LogFormat {
		warn("log_format")
		next.LogFormat = old.LogFormat
	}
	if !reflect.DeepEqual(next.Slack, old.Slack) {
		warn("slack")
		next.Slack = old.Slack
	}
}

// applyLogLevel puts the new config's log_level in force, or says why it
// cannot.
func (d *Daemon) applyLogLevel(old, next *config.Config) {
	if old.LogLevel == next.LogLevel {
		return
	}
	if d.opts.LogLevel == nil {
		d.log.Warn("log_level changed, but --log-level fixes the level; the change has no effect", "log_level", next.LogLevel)
		return
	}
	d.opts.LogLevel.Set(next.Level())
}

// diff describes what changed between two configs, for the log.
func diff(old, next *config.Config) []string {
	var out []string
	if old.Schedule != next.Schedule {
		out = append(out, fmt.Sprintf("schedule %q -> %q", old.Schedule, next.Schedule))
	}
	if old.Jitter != next.Jitter {
		out = append(out, fmt.Sprintf("jitter %s -> %s", old.Jitter, next.Jitter))
	}
	if !reflect.DeepEqual(old.Budget, next.Budget) {
		out = append(out, "budget changed")
	}
	for _, f := range []struct {
		name      string
		old, next any
	}{
		{"log_level", old.LogLevel, next.LogLevel},
		{"report_within", old.ReportWithin, next.ReportWithin},
		{"delivery_timeout", old.DeliveryTimeout, next.DeliveryTimeout},
		{"history_retention", old.HistoryRetention, next.HistoryRetention},
		{"inventory.refresh_interval", old.Inventory.RefreshInterval, next.Inventory.RefreshInterval},
		{"inventory.horizon_margin", old.HorizonMargin(), next.HorizonMargin()},
	} {
		if f.old != f.next {
			out = append(out, fmt.Sprintf("%s %v -> %v", f.name, f.old, f.next))
		}
	}
	oldRules, nextRules := map[string]any{}, map[string]any{}
	var oldNames, nextNames []string
	for _, r := range old.Policy.Rules {
		oldRules[r.Name], oldNames = r, append(oldNames, r.Name)
	}
	for _, r := range next.Policy.Rules {
		nextRules[r.Name], nextNames = r, append(nextNames, r.Name)
	}
	out = append(out, named("rule", oldNames, nextNames, oldRules, nextRules)...)
	if !reflect.DeepEqual(oldNames, nextNames) && sameSet(oldNames, nextNames) {
		out = append(out, "rules reordered")
	}
	oldAcc, nextAcc := map[string]any{}, map[string]any{}
	var oldAccNames, nextAccNames []string
	for _, a := range old.Accounts {
		oldAcc[a.Name], oldAccNames = a, append(oldAccNames, a.Name)
	}
	for _, a := range next.Accounts {
		nextAcc[a.Name], nextAccNames = a, append(nextAccNames, a.Name)
	}
	out = append(out, named("account", oldAccNames, nextAccNames, oldAcc, nextAcc)...)
	return out
}

// named lists the names added, removed and changed between two sets.
func named(kind string, oldNames, nextNames []string, old, next map[string]any) []string {
	var out []string
	for _, n := range nextNames {
		if _, ok := old[n]; !ok {
			out = append(out, fmt.Sprintf("%s %s added", kind, n))
		}
	}
	for _, n := range oldNames {
		if _, ok := next[n]; !ok {
			out = append(out, fmt.Sprintf("%s %s removed", kind, n))
		}
	}
	for _, n := range nextNames {
		if o, ok := old[n]; ok && !reflect.DeepEqual(o, next[n]) {
			out = append(out, fmt.Sprintf("%s %s changed", kind, n))
		}
	}
	return out
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]bool{}
	for _, s := range a {
		m[s] = true
	}
	for _, s := range b {
		if !m[s] {
			return false
		}
	}
	return true
}

// monotonicUsec is CLOCK_MONOTONIC in microseconds, as systemd's
// MONOTONIC_USEC wants it.
func monotonicUsec() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0
	}
	return ts.Nano() / 1000
}
