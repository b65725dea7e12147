package config

import (
	"gopkg.in/yaml.v3"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/policy"
)

// rule decodes one policy rule. Shape and syntax only; what a rule must
// hold for its action is the validator's.
func (d *decoder) rule(n *yaml.Node, field string) policy.Rule {
	var r policy.Rule
	d.mapping(n, field, map[string]fieldFunc{
		"name": func(f string, v *yaml.Node) {
			if s, ok := d.str(v, f); ok {
				r.Name = s
			}
		},
		"match": func(f string, v *yaml.Node) { r.Match = d.match(v, f) },
		"action": func(f string, v *yaml.Node) {
			s, ok := d.str(v, f)
			if !ok {
				return
			}
			a, ok := policy.ParseAction(s)
			if !ok {
				d.failf(v, f, "%q is not an action: use renew, notify or ignore", s)
				return
			}
			r.Action = a
		},
		"renew_before": d.setWindow(&r.RenewBefore),
		"period": func(f string, v *yaml.Node) {
			s, ok := d.str(v, f)
			if !ok {
				return
			}
			p, err := renewd.ParsePeriod(s)
			if err != nil {
				d.failf(v, f, "%w", err)
				return
			}
			// ParsePeriod takes an overflowing number as the largest int.
			if p.Years > 10 || p.Months > 120 || p.Days > 3660 || p.Years*12+p.Months > 120 {
				d.failf(v, f, "%q is longer than 10 years", s)
				return
			}
			r.Period = p
		},
		"max_price": func(f string, v *yaml.Node) {
			if u, ok := d.amount(v, f); ok {
				r.MaxPrice = u
			}
		},
		"over_cap": func(f string, v *yaml.Node) {
			if o, ok := d.overCap(v, f); ok {
				r.OverCap = o
			}
		},
		"allow_bundle": func(f string, v *yaml.Node) {
			if b, ok := d.boolean(v, f); ok {
				r.AllowBundle = b
			}
		},
		"payment":  func(f string, v *yaml.Node) { r.Payment = d.payment(v, f) },
		"approval": func(f string, v *yaml.Node) { r.Approval = d.approval(v, f) },
	})
	return r
}

func (d *decoder) match(n *yaml.Node, field string) policy.Match {
	var m policy.Match
	d.mapping(n, field, map[string]fieldFunc{
		"account": func(f string, v *yaml.Node) {
			if s, ok := d.str(v, f); ok {
				m.Account = s
			}
		},
		"type": func(f string, v *yaml.Node) {
			if s, ok := d.str(v, f); ok {
				m.Type = s
			}
		},
		"name": func(f string, v *yaml.Node) {
			if s, ok := d.str(v, f); ok {
				m.Name = s
			}
		},
		"service_ids": func(f string, v *yaml.Node) {
			d.list(v, f, func(_ int, f string, v *yaml.Node) {
				if id, ok := d.id(v, f); ok {
					m.ServiceIDs = append(m.ServiceIDs, id)
				}
			})
		},
	})
	return m
}

func (d *decoder) payment(n *yaml.Node, field string) renewd.PaymentForm {
	var p renewd.PaymentForm
	d.mapping(n, field, map[string]fieldFunc{
		"method_id": func(f string, v *yaml.Node) {
			if id, ok := d.id(v, f); ok {
				p.MethodID = id
			}
		},
		"mean": func(f string, v *yaml.Node) {
			if s, ok := d.str(v, f); ok {
				p.Mean = s
			}
		},
		"mean_id": func(f string, v *yaml.Node) {
			if id, ok := d.id(v, f); ok {
				p.MeanID = id
			}
		},
		"default": func(f string, v *yaml.Node) {
			if b, ok := d.boolean(v, f); ok {
				p.Default = b
			}
		},
	})
	return p
}

// approval reads "never", "always" or {above: AMOUNT}.
func (d *decoder) approval(n *yaml.Node, field string) policy.Approval {
	if n.Kind == yaml.ScalarNode {
		switch n.Value {
		case "never":
			return policy.Approval{Mode: policy.ApprovalNever}
		case "always":
			return policy.Approval{Mode: policy.ApprovalAlways}
		}
		d.failf(n, field, "%q is not an approval rule: use never, always or {above: AMOUNT}", n.Value)
		return policy.Approval{}
	}
	a := policy.Approval{Mode: policy.ApprovalAbove}
	above := false
	d.mapping(n, field, map[string]fieldFunc{
		"above": func(f string, v *yaml.Node) {
			above = true
			if u, ok := d.amount(v, f); ok {
				a.Above = u
			}
		},
	})
	if !above && n.Kind == yaml.MappingNode {
		d.failf(n, field, "a mapping here must give above: AMOUNT")
	}
	return a
}
