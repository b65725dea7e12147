package main

import (
	"io"

	"github.com/renewd/renewd/internal/renewal"
)

// planOut is `renewd plan --json` (docs/cli.md, "renewd plan --json").
type planOut struct {
	Version  int              `json:"version"`
	Services []planServiceOut `json:"services"`
	Errors   []string         `json:"errors"`
}

type planServiceOut struct {
	Account     string   `json:"account"`
	ServiceID   int64    `json:"service_id"`
	Service     *string  `json:"service"`
	Type        *string  `json:"type"`
	Term        *string  `json:"term"`
	Expiration  jsonDate `json:"expiration"`
	RenewMode   *string  `json:"renew_mode"`
	Verdict     string   `json:"verdict"`
	Rule        *string  `json:"rule"`
	RuleAction  *string  `json:"rule_action"`
	Period      *string  `json:"period"`
	DueAt       jsonTime `json:"due_at"`
	PriceUcents *int64   `json:"price_ucents"`
	Price       *string  `json:"price"`
	QuoteUcents *int64   `json:"quote_ucents"`
	Quote       *string  `json:"quote"`
	CapUcents   *int64   `json:"cap_ucents"`
	Cap         *string  `json:"cap"`
	Action      string   `json:"action"`
	Would       string   `json:"would"`
	Reason      string   `json:"reason"`
	Status      *string  `json:"status"`
}

func writePlanJSON(w io.Writer, rows []renewal.PlanRow, err error) error {
	out := planOut{Version: jsonVersion, Services: []planServiceOut{}, Errors: []string{}}
	for _, r := range sortedPlan(rows) {
		j := planServiceOut{Account: r.Service.Account, ServiceID: r.Service.ID, Service: optString(r.Service.Name),
			Type: optString(r.Service.Type), Term: termString(r.Service.Term()), Expiration: jsonDate(r.Service.Expiration),
			RenewMode: optString(r.Service.RawRenewMode), Verdict: r.Verdict.String(), Rule: optString(r.Rule),
			RuleAction: optString(r.Action), Period: optString(r.Period), DueAt: jsonTime(r.DueAt),
			Action: string(r.Expect), Would: r.Would, Reason: r.Why, Status: optString(string(r.Status))}
		j.PriceUcents, j.Price = amount(r.Price)
		j.QuoteUcents, j.Quote = amount(r.Quote)
		j.CapUcents, j.Cap = amount(r.Cap)
		out.Services = append(out.Services, j)
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		out.Errors = errorStrings(joined.Unwrap())
	} else if err != nil {
		out.Errors = errorStrings([]error{err})
	}
	return writeJSON(w, out)
}

// onceOut is `renewd once --json` (docs/cli.md, "renewd once --json").
type onceOut struct {
	Version  int              `json:"version"`
	Services []onceServiceOut `json:"services"`
	Errors   []string         `json:"errors"`
	Failed   bool             `json:"failed"`
}

type onceServiceOut struct {
	Account     string   `json:"account"`
	ServiceID   int64    `json:"service_id"`
	Service     *string  `json:"service"`
	Type        *string  `json:"type"`
	Term        *string  `json:"term"`
	Expiration  jsonDate `json:"expiration"`
	Verdict     string   `json:"verdict"`
	Rule        *string  `json:"rule"`
	Action      string   `json:"action"`
	Status      *string  `json:"status"`
	PriceUcents *int64   `json:"price_ucents"`
	Price       *string  `json:"price"`
	OrderID     *int64   `json:"order_id"`
	Reason      string   `json:"reason"`
	NotRenewed  bool     `json:"not_renewed"`
}

func writeOutcomesJSON(w io.Writer, sum renewal.Summary) error {
	out := onceOut{Version: jsonVersion, Services: []onceServiceOut{}, Errors: errorStrings(sum.Errors), Failed: sum.Failed()}
	for _, o := range sortedOutcomes(sum.Outcomes) {
		j := onceServiceOut{Account: o.Service.Account, ServiceID: o.Service.ID, Service: optString(o.Service.Name),
			Type: optString(o.Service.Type), Term: termString(o.Service.Term()), Expiration: jsonDate(o.Service.Expiration),
			Verdict: o.Verdict.String(), Rule: optString(o.Rule), Action: string(o.Action), Status: optString(string(o.Status)),
			OrderID: optInt(o.OrderID), Reason: o.Reason, NotRenewed: o.NotRenewed()}
		j.PriceUcents, j.Price = amount(o.Price)
		out.Services = append(out.Services, j)
	}
	return writeJSON(w, out)
}
