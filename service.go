package renewd

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultAccount names the account of the single `ovh:` form of the config.
const DefaultAccount = "default"

// RenewMode says who renews a service at OVH.
type RenewMode int

const (
	// RenewUnknown is a mode renewd does not know: it never acts on it.
	RenewUnknown RenewMode = iota
	// RenewManual services are renewed only when someone orders a renewal.
	RenewManual
	// RenewAutomatic services are renewed by OVH itself; renewd never renews them.
	RenewAutomatic
	// RenewWithParent services (OVH "option") are renewed with the service they belong to.
	RenewWithParent
)

// ParseRenewMode classifies OVH's renewal mode strings from /service
// (service.renew.Mode), /services (automatic|manual) and serviceInfos
// (renewalType). Values OVH adds later come back as RenewUnknown.
func ParseRenewMode(s string) RenewMode {
	switch {
	case s == "manual", s == "deleteAtExpiration", s == "deleteAtEndEngagement", s == "oneShot":
		return RenewManual
	case s == "automatic", strings.HasPrefix(s, "automatic"):
		return RenewAutomatic
	case s == "option":
		return RenewWithParent
	default:
		return RenewUnknown
	}
}

func (m RenewMode) String() string {
	switch m {
	case RenewManual:
		return "manual"
	case RenewAutomatic:
		return "automatic"
	case RenewWithParent:
		return "with-parent"
	default:
		return "unknown"
	}
}

// Service is one billed OVH service as renewd sees it.
type Service struct {
	Account string // the configured account name; DefaultAccount for the single form
	ID      int64  // OVH serviceId
	Name    string // the resource name: vps-1a2b.vps.ovh.net, example.com
	Type    string // the API route without its name: vps, domain, hosting/web, dedicated/server
	// Expiration is the calendar date the service expires, as OVH writes
	// it (see Date). Zero when OVH gives none.
	Expiration Date
	RenewMode  RenewMode
	// RawRenewMode is OVH's own word for the mode, kept for reports.
	RawRenewMode string
	// State is OVH's billing or lifecycle state, as sent (ok, expired, unpaid, toRenew...).
	State string
	// Problem, when not empty, says why OVH's answer for this service could
	// not be read (an expiration in no known form, a field of the wrong
	// type). The service is still listed, with whatever could be read (its
	// ID always), so that it is reported rather than silently dropped;
	// renewd never acts on it. The text is outside data: quote it.
	Problem string
}

// Term names one renewal of one service: the expiration date being renewed
// away. A term is renewed at most once; after delivery the service has a
// later expiration date and so a new term. Its identity is the calendar date
// OVH writes (Date), never an instant: every route and wire form gives the
// same date for the same expiration, so they all name the same term.
type Term struct {
	Account    string
	ServiceID  int64
	Expiration Date
}

// Term returns the term of the service's current expiration.
func (s Service) Term() Term {
	return Term{Account: s.Account, ServiceID: s.ID, Expiration: s.Expiration}
}

// String is the ledger key and the form every command takes:
// account/serviceId/expiration-date, e.g. main/1001/2026-12-05.
func (t Term) String() string {
	return fmt.Sprintf("%s/%d/%s", t.Account, t.ServiceID, t.Expiration)
}

// ParseTerm reads the form Term.String writes. The expiration must be a
// calendar date: a term written as an instant (the form of ledger schemas 1
// and 2) is refused with a message saying so, since its date depends on the
// zone it was read in.
func ParseTerm(s string) (Term, error) {
	parts := strings.Split(s, "/")
	if len(parts) != 3 || parts[0] == "" {
		return Term{}, fmt.Errorf("term %s: want ACCOUNT/SERVICE_ID/EXPIRATION_DATE, e.g. main/1001/2026-12-05", quoteShort(s))
	}
	id, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || id <= 0 {
		return Term{}, fmt.Errorf("term %s: service id %s is not a positive number", quoteShort(s), quoteShort(parts[1]))
	}
	if len(parts[2]) != len(time.DateOnly) {
		return Term{}, fmt.Errorf("term %s: the expiration must be a calendar date such as 2026-12-05 (terms are dates since ledger schema 3)", quoteShort(s))
	}
	exp, err := ParseDate(parts[2])
	if err != nil {
		return Term{}, fmt.Errorf("term %s: %w", quoteShort(s), err)
	}
	return Term{Account: parts[0], ServiceID: id, Expiration: exp}, nil
}

// ParseTime reads an instant OVH sends (an order's date or expiry): an RFC
// 3339 date-time, or a date alone (2026-12-01), read as midnight UTC. The
// result is in UTC. Service expirations are dates: use ParseDate.
func ParseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is neither a date (2006-01-02) nor an RFC 3339 time", s)
}
