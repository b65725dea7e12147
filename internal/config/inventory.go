package config

import (
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"
)

// The incremental inventory's settings (the `inventory:` section).
const (
	// DefaultRefreshInterval: every service is read again at least this
	// often, however far its expiration.
	DefaultRefreshInterval = 7 * Day
	// DefaultHorizonMargin is the margin added to every service's horizon
	// when horizon_margin is not given, unless two cycles of the schedule
	// are longer.
	DefaultHorizonMargin = 3 * Day
	MinRefreshInterval   = Day
	MaxRefreshInterval   = 365 * Day
	MaxHorizonMargin     = 365 * Day
)

// Inventory tunes the incremental inventory (internal/inventory,
// docs/design.md "The incremental inventory").
type Inventory struct {
	// RefreshInterval is how often every service is read again.
	RefreshInterval time.Duration
	// HorizonMargin is added to the widest window that could apply to a
	// service (renew_before, report_within) to give the horizon within
	// which it is read on every cycle. Zero means not given: see
	// Config.HorizonMargin.
	HorizonMargin time.Duration
}

func defaultInventory() Inventory { return Inventory{RefreshInterval: DefaultRefreshInterval} }

// HorizonMargin is the margin in force: horizon_margin when given, else
// DefaultHorizonMargin or two cycle gaps, whichever is longer.
func (c *Config) HorizonMargin() time.Duration {
	if c.Inventory.HorizonMargin > 0 {
		return c.Inventory.HorizonMargin
	}
	return max(DefaultHorizonMargin, 2*c.CycleGap())
}

// CycleGap is the longest time between two cycles of the schedule over
// the year to come (from a fixed date, so that it does not change from run
// to run), plus the jitter. Zero when the schedule does not parse.
func (c *Config) CycleGap() time.Duration {
	if checkSchedule(c.Schedule) != nil {
		return 0 // robfig/cron panics on some specs checkSchedule refuses
	}
	sched, err := cron.ParseStandard(c.Schedule)
	if err != nil {
		return 0
	}
	return scheduleGap(sched) + c.Jitter
}

func scheduleGap(sched cron.Schedule) time.Duration {
	if every, ok := sched.(cron.ConstantDelaySchedule); ok {
		return every.Delay
	}
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	end := from.AddDate(1, 0, 0)
	longest := time.Duration(0)
	prev := sched.Next(from)
	for i := 0; i < 20000 && !prev.IsZero() && prev.Before(end); i++ {
		next := sched.Next(prev)
		if next.IsZero() {
			break
		}
		longest = max(longest, next.Sub(prev))
		prev = next
	}
	return longest
}

func (d *decoder) inventory(n *yaml.Node, field string, inv *Inventory) {
	d.mapping(n, field, map[string]fieldFunc{
		"refresh_interval": d.setWindow(&inv.RefreshInterval),
		"horizon_margin":   d.setWindow(&inv.HorizonMargin),
	})
}

func (v *validator) inventory() {
	inv := v.c.Inventory
	if inv.RefreshInterval < MinRefreshInterval || inv.RefreshInterval > MaxRefreshInterval {
		v.failf("inventory.refresh_interval", "%s is not between %s and %s",
			formatWindow(inv.RefreshInterval), formatWindow(MinRefreshInterval), formatWindow(MaxRefreshInterval))
	}
	switch gap := v.c.CycleGap(); {
	case !v.given("inventory.horizon_margin") && inv.HorizonMargin == 0:
	case inv.HorizonMargin > MaxHorizonMargin:
		v.failf("inventory.horizon_margin", "%s is over the %s maximum", formatWindow(inv.HorizonMargin), formatWindow(MaxHorizonMargin))
	case inv.HorizonMargin < 2*gap || inv.HorizonMargin <= 0:
		v.failf("inventory.horizon_margin", "%s is under two cycles of the schedule (%s apart at most, with the jitter): at least %s",
			formatWindow(inv.HorizonMargin), formatWindow(gap), formatWindow(2*gap))
	}
}
