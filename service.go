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
	// Expiration is when the service expires, in UTC. Zero when OVH gives none.
	Expiration time.Time
	RenewMode  RenewMode
	// RawRenewMode is OVH's own word for the mode, kept for reports.
	RawRenewMode string
	// State is OVH's billing or lifecycle state, as sent (ok, expired, unpaid, toRenew...).
	State string
}

// Term names one renewal of one service: the expiration being renewed away.
// A term is renewed at most once; after delivery the service has a new
// expiration and so a new term.
type Term struct {
	Account    string
	ServiceID  int64
	Expiration time.Time
}

// Term returns the term of the service's current expiration.
func (s Service) Term() Term {
	return Term{Account: s.Account, ServiceID: s.ID, Expiration: s.Expiration.UTC()}
}

// String is the ledger key: account/serviceId/expiration (RFC 3339, UTC).
func (t Term) String() string {
	return fmt.Sprintf("%s/%d/%s", t.Account, t.ServiceID, t.Expiration.UTC().Format(time.RFC3339))
}

// ParseTerm reads the form Term.String writes. The expiration may also be a
// date alone (2026-12-01), which means midnight UTC.
func ParseTerm(s string) (Term, error) {
	parts := strings.Split(s, "/")
	if len(parts) != 3 || parts[0] == "" {
		return Term{}, fmt.Errorf("term %q: want ACCOUNT/SERVICE_ID/EXPIRATION", s)
	}
	id, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || id <= 0 {
		return Term{}, fmt.Errorf("term %q: service id %q is not a positive number", s, parts[1])
	}
	exp, err := ParseTime(parts[2])
	if err != nil {
		return Term{}, fmt.Errorf("term %q: %w", s, err)
	}
	return Term{Account: parts[0], ServiceID: id, Expiration: exp}, nil
}

// ParseTime reads the two date forms OVH sends: a date alone (2026-12-01,
// midnight UTC) or an RFC 3339 date-time. The result is in UTC.
func ParseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is neither a date (2006-01-02) nor an RFC 3339 time", s)
}
