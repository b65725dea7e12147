package slack

import (
	"strings"
	"testing"
	"time"

	"github.com/renewd/renewd"
)

func TestPreviewShowsWhatSlackWouldShow(t *testing.T) {
	at := time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)
	req := renewd.Report{Kind: renewd.ReportApprovalRequest, At: at, Term: "default/2002/2026-12-08T00:00:00Z",
		ServiceName: "example.org", ServiceType: "domain", Period: "P1Y", Currency: "EUR",
		PriceUcents: 999_000_000, CapUcents: 1_500_000_000, Rule: "domains", ApprovalID: "abc",
		ApprovalExpires: at.Add(72 * time.Hour), Reason: "the rule asks for approval: P1Y at 9.99 <= 15.00 & more"}
	got := Preview(req, true)
	for _, want := range []string{
		"*Approval needed: renew example.org (domain) for P1Y at 9.99 EUR*",
		"  Price:       9.99 EUR without tax",
		"  Cap:         15.00 EUR",
		"  Answer by:   2026-11-29 06:00 UTC",
		"  Why:         the rule asks for approval: P1Y at 9.99 <= 15.00 & more",
		"  [Approve] [Deny]",
		"term `default/2002/2026-12-08T00:00:00Z`",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Preview lacks %q:\n%s", want, got)
		}
	}

	done := req
	done.Kind, done.Decision, done.DecidedBy = renewd.ReportApprovalUpdate, "paid", "slack:U0APPROVER"
	got = Preview(done, true)
	if !strings.Contains(got, "Approved by <@U0APPROVER> — paid") || strings.Contains(got, "[Approve]") {
		t.Errorf("a decided request's preview should say who approved, paid, without buttons:\n%s", got)
	}
}

// TestPreviewWithoutButtons: `renewd once` posts approval requests without
// buttons (nothing would listen for the clicks) and says how to decide.
func TestPreviewWithoutButtons(t *testing.T) {
	req := renewd.Report{Kind: renewd.ReportApprovalRequest, Term: "default/2002/2026-12-08T00:00:00Z",
		ServiceName: "example.org", ApprovalID: "abc"}
	got := Preview(req, false)
	if strings.Contains(got, "[Approve]") || !strings.Contains(got, "`renewd approve default/2002/2026-12-08T00:00:00Z`") {
		t.Errorf("without buttons the request should say how to approve with the CLI:\n%s", got)
	}
}
