package config

import (
	"time"

	"gopkg.in/yaml.v3"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/policy"
)

// config decodes the top-level mapping into c.
func (d *decoder) config(root *yaml.Node, c *Config) {
	setStr := func(dst *string) fieldFunc {
		return func(f string, v *yaml.Node) {
			if s, ok := d.str(v, f); ok {
				*dst = s
			}
		}
	}
	setPath := func(dst *string) fieldFunc {
		return func(f string, v *yaml.Node) {
			if s, ok := d.filePath(v, f); ok {
				*dst = s
			}
		}
	}
	var ovhNode, accountsNode *yaml.Node
	d.mapping(root, "", map[string]fieldFunc{
		"schedule":       setStr(&c.Schedule),
		"jitter":         d.setWindow(&c.Jitter),
		"state_file":     setPath(&c.StateFile),
		"control_socket": setPath(&c.ControlSocket),
		"control_group":  setStr(&c.ControlGroup),
		"listen":         setStr(&c.Listen),
		"log_format":     setStr(&c.LogFormat),
		"log_level":      setStr(&c.LogLevel),
		"report_within": func(f string, v *yaml.Node) {
			if w, ok := d.window(v, f); ok {
				c.ReportWithin, c.Policy.ReportWithin = w, w
			}
		},
		"delivery_timeout":  d.setWindow(&c.DeliveryTimeout),
		"history_retention": d.setWindow(&c.HistoryRetention),
		"ovh": func(f string, v *yaml.Node) {
			ovhNode = v
			a := defaultAccount(renewd.DefaultAccount)
			d.account(v, f, &a, false)
			c.Accounts = []Account{a}
		},
		"accounts": func(f string, v *yaml.Node) {
			accountsNode = v
			c.Accounts = []Account{}
			d.list(v, f, func(_ int, f string, v *yaml.Node) {
				a := defaultAccount("")
				d.account(v, f, &a, true)
				c.Accounts = append(c.Accounts, a)
			})
		},
		"budget": func(f string, v *yaml.Node) {
			b := &Budget{}
			d.budget(v, f, b)
			c.Budget = b
		},
		"policies": func(f string, v *yaml.Node) {
			d.list(v, f, func(_ int, f string, v *yaml.Node) {
				c.Policy.Rules = append(c.Policy.Rules, d.rule(v, f))
			})
		},
		"slack": func(f string, v *yaml.Node) {
			s := defaultSlack()
			d.slack(v, f, &s)
			c.Slack = &s
		},
		"inventory": func(f string, v *yaml.Node) { d.inventory(v, f, &c.Inventory) },
	})
	if ovhNode != nil && accountsNode != nil {
		field := "accounts"
		if d.pos["ovh"] > d.pos["accounts"] {
			field = "ovh"
		}
		d.failf(&yaml.Node{Line: d.pos[field]}, field, "ovh and accounts are exclusive: use ovh for one account, accounts for several")
	}
}

func (d *decoder) setWindow(dst *time.Duration) fieldFunc {
	return func(f string, v *yaml.Node) {
		if w, ok := d.window(v, f); ok {
			*dst = w
		}
	}
}

// account decodes an OVH account; named says whether it has a name key
// (the accounts list) or is the single `ovh:` form.
func (d *decoder) account(n *yaml.Node, field string, a *Account, named bool) {
	file := func(dst *string) fieldFunc {
		return func(f string, v *yaml.Node) {
			if s, ok := d.credentialFile(v, f); ok {
				*dst = s
			}
		}
	}
	known := map[string]fieldFunc{
		"endpoint": func(f string, v *yaml.Node) {
			if s, ok := d.str(v, f); ok {
				a.Endpoint = s
			}
		},
		"application_key_file":    file(&a.AppKeyFile),
		"application_secret_file": file(&a.AppSecretFile),
		"consumer_key_file":       file(&a.ConsumerKeyFile),
		"rate_limit": func(f string, v *yaml.Node) {
			if x, ok := d.number(v, f); ok {
				a.RateLimit = x
			}
		},
		"burst": func(f string, v *yaml.Node) {
			if x, ok := d.integer(v, f); ok {
				a.Burst = x
			}
		},
		"concurrency": func(f string, v *yaml.Node) {
			if x, ok := d.integer(v, f); ok {
				a.Concurrency = x
			}
		},
	}
	if named {
		known["name"] = func(f string, v *yaml.Node) {
			if s, ok := d.str(v, f); ok {
				a.Name = s
			}
		}
	}
	d.mapping(n, field, known)
}

func (d *decoder) budget(n *yaml.Node, field string, b *Budget) {
	d.mapping(n, field, map[string]fieldFunc{
		"monthly": func(f string, v *yaml.Node) {
			if u, ok := d.amount(v, f); ok {
				b.MonthlyUcents = u
			}
		},
		"currency": func(f string, v *yaml.Node) {
			if s, ok := d.str(v, f); ok {
				b.Currency = s
			}
		},
		"over": func(f string, v *yaml.Node) {
			if o, ok := d.overCap(v, f); ok {
				b.Over = o
			}
		},
	})
}

func (d *decoder) overCap(v *yaml.Node, field string) (policy.OverCap, bool) {
	w, ok := d.word(v, field, "refuse", "approve")
	if w == "approve" {
		return policy.OverCapApprove, ok
	}
	return policy.OverCapRefuse, ok
}

func (d *decoder) slack(n *yaml.Node, field string, s *Slack) {
	file := func(dst *string) fieldFunc {
		return func(f string, v *yaml.Node) {
			if p, ok := d.credentialFile(v, f); ok {
				*dst = p
			}
		}
	}
	var notify []string
	d.mapping(n, field, map[string]fieldFunc{
		"bot_token_file": file(&s.BotTokenFile),
		"app_token_file": file(&s.AppTokenFile),
		"channel": func(f string, v *yaml.Node) {
			if x, ok := d.str(v, f); ok {
				s.Channel = x
			}
		},
		"approvers": func(f string, v *yaml.Node) {
			s.Approvers = []string{}
			d.list(v, f, func(_ int, f string, v *yaml.Node) {
				x, _ := d.str(v, f) // kept when bad, so that indexes match the file
				s.Approvers = append(s.Approvers, x)
			})
		},
		"notify": func(f string, v *yaml.Node) {
			notify = []string{}
			d.list(v, f, func(_ int, f string, v *yaml.Node) {
				if x, ok := d.word(v, f, notifyKinds...); ok {
					notify = append(notify, x)
				}
			})
		},
		"approval_timeout": d.setWindow(&s.ApprovalTimeout),
		"api_url": func(f string, v *yaml.Node) {
			if x, ok := d.str(v, f); ok {
				s.APIURL = x
			}
		},
		"digest_threshold":    d.setInt(&s.DigestThreshold),
		"digest_list":         d.setInt(&s.DigestList),
		"max_single_messages": d.setInt(&s.MaxSingleMessages),
	})
	if notify != nil {
		s.Notify = normalizeNotify(notify)
	}
}

// setInt reads a whole number into dst; the validator checks its range.
func (d *decoder) setInt(dst *int) fieldFunc {
	return func(f string, v *yaml.Node) {
		if x, ok := d.integer(v, f); ok {
			*dst = x
		}
	}
}

// normalizeNotify adds the kinds that are always on and lists the kinds in
// their canonical order, once each.
func normalizeNotify(words []string) []string {
	want := map[string]bool{NotifyFailures: true, NotifyApprovals: true}
	for _, w := range words {
		want[w] = true
	}
	var out []string
	for _, k := range notifyKinds {
		if want[k] {
			out = append(out, k)
		}
	}
	return out
}
