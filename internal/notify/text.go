package notify

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/renewd/renewd"
)

// Title is a report's one-line headline, e.g.
// "Renewed vps-alpha.vps.ovh.net (vps) for P1M at 7.00 EUR".
func Title(r renewd.Report) string {
	svc := r.ServiceName
	if r.ServiceType != "" {
		svc += " (" + r.ServiceType + ")"
	}
	if r.Account != "" && r.Account != renewd.DefaultAccount {
		svc += " in account " + r.Account
	}
	price := renewd.Money{Ucents: r.PriceUcents, Currency: r.Currency}
	switch r.Kind {
	case renewd.ReportRenewed:
		return fmt.Sprintf("Renewed %s for %s at %s", svc, r.Period, price)
	case renewd.ReportDelivered:
		return fmt.Sprintf("Delivered: %s now expires %s", svc, r.NewExpiration.String())
	case renewd.ReportUndelivered:
		return fmt.Sprintf("Paid but not delivered: %s (order %d)", svc, r.OrderID)
	case renewd.ReportFailed:
		if r.ServiceName == "" {
			return "renewd failed for account " + r.Account
		}
		return "Renewal failed: " + svc
	case renewd.ReportRefused:
		return fmt.Sprintf("Renewal refused: %s at %s", svc, price)
	case renewd.ReportUncovered:
		return fmt.Sprintf("No rule covers %s, which expires %s", svc, r.Expiration.String())
	case renewd.ReportAutomatic:
		return fmt.Sprintf("OVH renews %s automatically; it expires %s", svc, r.Expiration.String())
	case renewd.ReportNotice:
		return fmt.Sprintf("Due, not renewed by renewd: %s expires %s", svc, r.Expiration.String())
	case renewd.ReportApprovalRequest:
		return fmt.Sprintf("Approval needed: renew %s for %s at %s", svc, r.Period, price)
	case renewd.ReportApprovalUpdate:
		return fmt.Sprintf("Renewal of %s for %s at %s: %s", svc, r.Period, price, decisionWord(r))
	case renewd.ReportSummary:
		return "renewd cycle: " + Counts(r.Counts)
	}
	return string(r.Kind) + ": " + svc
}

// Fields are the report's details as label/value pairs, in display order.
// Empty values are left out. Nothing here is secret; an order's url and
// password are never part of a report.
func Fields(r renewd.Report) [][2]string {
	var f [][2]string
	add := func(k, v string) {
		if v != "" {
			f = append(f, [2]string{k, v})
		}
	}
	add("Term", r.Term)
	if !r.Expiration.IsZero() {
		add("Expires", r.Expiration.String())
	}
	add("Rule", r.Rule)
	add("Period", r.Period)
	if r.PriceUcents != 0 {
		p := renewd.Money{Ucents: r.PriceUcents, Currency: r.Currency}.String() + " without tax"
		if r.PriceWithTaxUcents != 0 {
			p += ", " + renewd.Money{Ucents: r.PriceWithTaxUcents, Currency: r.Currency}.String() + " with tax"
		}
		add("Price", p)
	}
	if r.CapUcents != 0 {
		add("Cap", renewd.Money{Ucents: r.CapUcents, Currency: r.Currency}.String())
	}
	add("Payment", r.Payment)
	if r.OrderID != 0 {
		add("Order", fmt.Sprint(r.OrderID))
	}
	if !r.NewExpiration.IsZero() {
		add("New expiry", r.NewExpiration.String())
	}
	if !r.ApprovalExpires.IsZero() && r.Kind == renewd.ReportApprovalRequest {
		add("Answer by", r.ApprovalExpires.UTC().Format("2006-01-02 15:04 MST"))
	}
	if r.DecidedBy != "" {
		add("Decided by", r.DecidedBy)
	}
	add("Why", r.Reason)
	add("Next", r.Next)
	return f
}

// Text renders a report as plain text: the title, then one field a line.
func Text(r renewd.Report) string {
	var b strings.Builder
	b.WriteString(Title(r))
	for _, kv := range Fields(r) {
		fmt.Fprintf(&b, "\n  %-11s %s", kv[0]+":", kv[1])
	}
	return b.String()
}

// Counts renders a summary's counts: "2 paid, 1 refused".
func Counts(c map[string]int) string {
	parts := make([]string, 0, len(c))
	for _, k := range slices.Sorted(maps.Keys(c)) {
		parts = append(parts, fmt.Sprintf("%d %s", c[k], k))
	}
	if len(parts) == 0 {
		return "nothing to do"
	}
	return strings.Join(parts, ", ")
}

func decisionWord(r renewd.Report) string {
	switch r.Decision {
	case "approved":
		return "approved by " + r.DecidedBy
	case "denied":
		return "denied by " + r.DecidedBy
	case "expired":
		return "expired"
	case "paid":
		return "approved by " + r.DecidedBy + " — paid"
	case "failed":
		return "approved by " + r.DecidedBy + " — payment failed"
	}
	return "update"
}

// LogSender delivers reports to a logger: renewd's reports when no Slack is
// configured. Failures and approval requests log at warning level.
type LogSender struct{ Logger *slog.Logger }

// Send logs the report and never fails.
func (s LogSender) Send(ctx context.Context, key string, prev Ref, r renewd.Report) (Ref, error) {
	level := slog.LevelInfo
	switch r.Kind {
	case renewd.ReportFailed, renewd.ReportRefused, renewd.ReportUndelivered, renewd.ReportUncovered,
		renewd.ReportApprovalRequest:
		level = slog.LevelWarn
	}
	attrs := []any{"report", r.Kind, "key", key}
	for _, kv := range Fields(r) {
		attrs = append(attrs, strings.ToLower(strings.ReplaceAll(kv[0], " ", "_")), kv[1])
	}
	s.Logger.Log(ctx, level, Title(r), attrs...)
	return Ref{Channel: "log"}, nil
}
