package notify

import (
	"fmt"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/state"
)

// How the drainer chooses what goes next, each time it sends something:
//
//  1. Order. Reports are grouped by the term they are about (Report.Term;
//     a report about no term, such as an account's failure or a cycle's
//     summary, is a group of its own by key). Only the oldest report of
//     each group may go: a term's reports, and a key's post and its
//     updates, keep their order; a report waiting for its retry holds back
//     only its own group.
//  2. Priority. Among the groups whose oldest report may go now, the one
//     with the most urgent report anywhere in it goes first (an approval
//     request queued behind a term's routine report pulls that report
//     forward), then the oldest. Urgency: approval requests and updates;
//     failures (failed, refused, undelivered); notices; routine reports
//     (renewed, delivered, uncovered, automatic); the cycle's summary.
//  3. Digests. When the chosen report is of a digest kind and more than
//     DigestThreshold reports of that kind could go now, they all go as
//     one digest. Failures and approval requests go one by one until
//     SingleCap of them went; past that, the rest that could go now go as
//     one digest. An approval update whose request went in a digest (or
//     was never posted) has no message to edit: it counts as a digest kind.
//
// "One cycle" is what waits at drain time: the daemon drains after each
// cycle, and routine reports, the least urgent, go last, by which time the
// cycle has queued all of them. After a Slack outage, the reports of every
// cycle it covered wait together, and go as one digest per kind.

// class is a report's urgency: lower goes first.
type class int

const (
	classApproval class = iota
	classFailure
	classNotice
	classRoutine
	classSummary
)

func classOf(k renewd.ReportKind) class {
	switch k {
	case renewd.ReportApprovalRequest, renewd.ReportApprovalUpdate:
		return classApproval
	case renewd.ReportFailed, renewd.ReportRefused, renewd.ReportUndelivered:
		return classFailure
	case renewd.ReportNotice:
		return classNotice
	case renewd.ReportSummary:
		return classSummary
	}
	return classRoutine
}

// digestKind reports whether reports of kind k are folded into a digest
// when many wait.
func digestKind(k renewd.ReportKind) bool {
	switch k {
	case renewd.ReportUncovered, renewd.ReportAutomatic, renewd.ReportNotice,
		renewd.ReportRenewed, renewd.ReportDelivered:
		return true
	}
	return false
}

// The kinds counted against Drainer.SingleCap.
const (
	capFailures = iota
	capApprovals
	capGroups
)

func capGroupOf(k renewd.ReportKind) int {
	switch k {
	case renewd.ReportFailed, renewd.ReportRefused, renewd.ReportUndelivered:
		return capFailures
	case renewd.ReportApprovalRequest:
		return capApprovals
	}
	return -1
}

// entry is an outbox item with its decoded report.
type entry struct {
	item  state.OutboxItem
	r     renewd.Report
	bad   error // the body does not decode
	group string
}

// decoded is an item's report, kept between plans: an item's body never
// changes, and a backlog of thousands is planned again after each send.
type decoded struct {
	r   renewd.Report
	bad error
}

// unit is what one call to the Sender delivers: one report, or a digest.
type unit struct {
	entries []entry
	digest  bool
	kind    renewd.ReportKind // the digest's kind
	prev    Ref               // the message a single report updates
	single  int               // the cap group a single report counts in; -1 none
	bad     error             // the report cannot be read: park it
}

func (u *unit) seqs() []uint64 {
	out := make([]uint64, len(u.entries))
	for i, e := range u.entries {
		out[i] = e.item.Seq
	}
	return out
}

func (u *unit) attempts() int {
	n := 0
	for _, e := range u.entries {
		n = max(n, e.item.Attempts)
	}
	return n
}

func (u *unit) asDigest() Digest {
	dg := Digest{Kind: u.kind}
	for _, e := range u.entries {
		dg.Keys = append(dg.Keys, e.item.Key)
		dg.Reports = append(dg.Reports, e.r)
	}
	return dg
}

// plan chooses what goes next among items (oldest first). It returns nil
// and the earliest next attempt when nothing may go before then.
func (d *Drainer) plan(items []state.OutboxItem, now time.Time) (*unit, time.Time, error) {
	entries := make([]entry, len(items))
	head := map[string]int{}      // group -> index of its oldest entry
	urgency := map[string]class{} // group -> its most urgent class
	present := [capGroups]bool{}  // the cap groups the outbox holds
	cache := make(map[uint64]decoded, len(items))
	for i, it := range items {
		e := entry{item: it}
		dec, ok := d.decoded[it.Seq]
		if !ok {
			dec.r, dec.bad = decode(it)
		}
		cache[it.Seq] = dec
		e.r, e.bad = dec.r, dec.bad
		e.group = "key:" + it.Key
		if e.bad == nil && e.r.Term != "" {
			e.group = "term:" + e.r.Term
		}
		entries[i] = e
		c := classOf(e.r.Kind)
		if _, ok := head[e.group]; !ok {
			head[e.group], urgency[e.group] = i, c
		}
		urgency[e.group] = min(urgency[e.group], c)
		if g := capGroupOf(e.r.Kind); g >= 0 {
			present[g] = true
		}
	}
	d.decoded = cache
	for g, ok := range present {
		if !ok {
			d.singles[g] = 0
		}
	}

	var ready []int // heads that may go now, oldest first
	var wait time.Time
	for i, e := range entries {
		if head[e.group] != i {
			continue
		}
		if now.Before(e.item.NextAttempt) {
			if wait.IsZero() || e.item.NextAttempt.Before(wait) {
				wait = e.item.NextAttempt
			}
			continue
		}
		ready = append(ready, i)
	}
	if len(ready) == 0 {
		return nil, wait, nil
	}
	best := ready[0]
	for _, i := range ready[1:] {
		if urgency[entries[i].group] < urgency[entries[best].group] {
			best = i
		}
	}
	e := entries[best]
	if e.bad != nil {
		return &unit{entries: []entry{e}, bad: e.bad, single: -1}, time.Time{}, nil
	}
	return d.unitFor(e, entries, ready)
}

// unitFor decides whether e goes alone or in a digest with the ready
// reports like it.
func (d *Drainer) unitFor(e entry, entries []entry, ready []int) (*unit, time.Time, error) {
	_, digester := d.Sender.(DigestSender)
	threshold := d.DigestThreshold
	if threshold <= 0 {
		threshold = DefaultDigestThreshold
	}
	limit := d.SingleCap
	if limit <= 0 {
		limit = DefaultSingleCap
	}
	like := func(keep func(entry) (bool, error)) ([]entry, error) {
		var out []entry
		for _, i := range ready {
			if entries[i].bad != nil {
				continue
			}
			ok, err := keep(entries[i])
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, entries[i])
			}
		}
		return out, nil
	}
	single := func(g int) (*unit, time.Time, error) {
		prev, err := d.live(e.item.Key)
		if err != nil {
			return nil, time.Time{}, err
		}
		return &unit{entries: []entry{e}, prev: prev, single: g}, time.Time{}, nil
	}
	digest := func(kind renewd.ReportKind, peers []entry) (*unit, time.Time, error) {
		return &unit{entries: peers, digest: true, kind: kind, single: -1}, time.Time{}, nil
	}
	kind := e.r.Kind
	switch g := capGroupOf(kind); {
	case !digester:
		return single(g)
	case digestKind(kind):
		peers, _ := like(func(o entry) (bool, error) { return o.r.Kind == kind, nil })
		if len(peers) > threshold {
			return digest(kind, peers)
		}
	case kind == renewd.ReportApprovalUpdate:
		if prev, err := d.live(e.item.Key); err != nil || prev != (Ref{}) {
			return &unit{entries: []entry{e}, prev: prev, single: -1}, time.Time{}, err
		}
		peers, err := like(func(o entry) (bool, error) {
			if o.r.Kind != kind {
				return false, nil
			}
			prev, err := d.live(o.item.Key)
			return prev == (Ref{}), err
		})
		if err != nil {
			return nil, time.Time{}, err
		}
		if len(peers) > threshold {
			return digest(kind, peers)
		}
	case g >= 0 && d.singles[g] >= limit:
		peers, _ := like(func(o entry) (bool, error) { return capGroupOf(o.r.Kind) == g, nil })
		if len(peers) > 1 {
			if g == capFailures {
				kind = renewd.ReportFailed
			}
			return digest(kind, peers)
		}
		return single(g)
	default:
		return single(g)
	}
	return single(-1)
}

// live returns the message key's own last post, to edit; zero when there
// is none or the key went out in a digest.
func (d *Drainer) live(key string) (Ref, error) {
	info, ok, err := d.Outbox.Message(key)
	if err != nil {
		return Ref{}, fmt.Errorf("read the message of %s: %w", key, err)
	}
	if !ok || info.Digest || info.Channel == "" || info.TS == "" {
		return Ref{}, nil
	}
	return Ref{Channel: info.Channel, TS: info.TS}, nil
}
