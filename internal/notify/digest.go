package notify

import (
	"context"
	"fmt"
	"strings"

	"github.com/renewd/renewd"
)

// Digest is one message that tells of many reports of one kind: the
// drainer's answer to a cycle that would otherwise post one message per
// uncovered service. Reports and Keys are parallel, in queue order.
type Digest struct {
	// Kind is the kind the reports share; ReportFailed stands for every
	// failure kind (failed, refused, undelivered).
	Kind    renewd.ReportKind
	Reports []renewd.Report
	Keys    []string
}

// DigestSender is a Sender that can also post a digest. The drainer folds
// reports into digests only for a Sender that is one. A digest is always
// posted as a new message; the returned Ref is remembered, marked as a
// digest, for each of its keys. Errors are classified as Send's are.
type DigestSender interface {
	Sender
	SendDigest(ctx context.Context, d Digest) (Ref, error)
}

// DigestTitle is a digest's headline: "No rule covers 300 due services".
// A digest of failures or approval requests comes past the cap of single
// messages, so it speaks of "more".
func DigestTitle(d Digest) string {
	n := len(d.Reports)
	services := plural(n, "service", "services")
	switch d.Kind {
	case renewd.ReportUncovered:
		return fmt.Sprintf("No rule covers %s that %s due", services, word(n, "is", "are"))
	case renewd.ReportAutomatic:
		return fmt.Sprintf("OVH renews %s automatically; renewd leaves %s alone", services, word(n, "it", "them"))
	case renewd.ReportNotice:
		return fmt.Sprintf("Due, not renewed by renewd: %s", services)
	case renewd.ReportRenewed:
		return fmt.Sprintf("Renewed %s", services)
	case renewd.ReportDelivered:
		return fmt.Sprintf("Delivered: %s now %s a new expiration", services, word(n, "has", "have"))
	case renewd.ReportFailed, renewd.ReportRefused, renewd.ReportUndelivered:
		return fmt.Sprintf("%d more %s", n, word(n, "failure", "failures"))
	case renewd.ReportApprovalRequest:
		return fmt.Sprintf("%d more %s for approval", n, word(n, "renewal waits", "renewals wait"))
	case renewd.ReportApprovalUpdate:
		return fmt.Sprintf("%s decided or expired", plural(n, "approval", "approvals"))
	}
	return fmt.Sprintf("%d %s reports", n, d.Kind)
}

// DigestLine is one report in a digest, in one line:
// "vps-1.example (vps) · expires 2026-12-01 · over the cap".
func DigestLine(r renewd.Report) string {
	parts := []string{}
	svc := r.ServiceName
	if svc == "" {
		svc = "account " + r.Account
	} else {
		if r.ServiceType != "" {
			svc += " (" + r.ServiceType + ")"
		}
		if r.Account != "" && r.Account != renewd.DefaultAccount {
			svc += " in account " + r.Account
		}
	}
	parts = append(parts, svc)
	switch {
	case !r.NewExpiration.IsZero():
		parts = append(parts, "now expires "+r.NewExpiration.String())
	case !r.Expiration.IsZero():
		parts = append(parts, "expires "+r.Expiration.String())
	}
	if r.Kind == renewd.ReportRefused {
		parts = append(parts, "refused")
	}
	if r.Kind == renewd.ReportApprovalUpdate && r.Decision != "" {
		parts = append(parts, r.Decision)
	}
	if r.Reason != "" {
		parts = append(parts, r.Reason)
	}
	return strings.Join(parts, " · ")
}

// DigestHint says where the whole list is, and for approvals how to decide.
func DigestHint(d Digest) string {
	switch d.Kind {
	case renewd.ReportApprovalRequest:
		return "Decide on the renewd host: `renewd status` lists the pending approvals; `renewd approve TERM` or `renewd deny TERM`."
	case renewd.ReportFailed, renewd.ReportRefused, renewd.ReportUndelivered:
		return "`renewd status` lists every open term and `renewd history --term TERM` the reason; the log has each report in full."
	}
	return "`renewd status` and `renewd history` list every one; the log has each report in full."
}

// plural is "1 service" or "3 services".
func plural(n int, one, many string) string { return fmt.Sprintf("%d %s", n, word(n, one, many)) }

// word is one when n is 1, many otherwise.
func word(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
