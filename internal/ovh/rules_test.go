package ovh

import (
	"strings"
	"testing"
)

func TestCovers(t *testing.T) {
	for _, tt := range []struct {
		g, r string
		want bool
	}{
		{"GET /*", "GET /service/*/renew", true},
		{"GET /service/*", "GET /service/*/renew", true},
		{"GET /service/*", "GET /service", false},
		{"GET /service*", "GET /service", true},
		{"GET /service*", "GET /services", true},
		{"GET /service/*/renew", "GET /service/*", false}, // /service/12 is not a renewal
		{"GET /me/order/*", "GET /me/order/*/details/*", true},
		{"GET /*/serviceInfos", "GET /*/serviceInfos", true},
		{"GET /vps/*/serviceInfos", "GET /*/serviceInfos", false},
		{"POST /*", "GET /service", false},
		{"post /me/order/*", "POST /me/order/*/pay", true},
		{"GET /me", "GET /me/order", false},
		{"GET " + strings.Repeat("*", maxRulePath+1), "GET /x", false},
	} {
		g, r := rule(tt.g), rule(tt.r)
		if got := g.Covers(r); got != tt.want {
			t.Errorf("%s covers %s = %v, want %v", tt.g, tt.r, got, tt.want)
		}
	}
}

func rule(s string) AccessRule {
	m, p, _ := strings.Cut(s, " ")
	return AccessRule{Method: m, Path: p}
}

func TestCheckRules(t *testing.T) {
	if rc := CheckRules(AccessRules()); len(rc.Missing)+len(rc.Extra) != 0 {
		t.Errorf("renewd's own rules: %+v", rc)
	}
	// OVH's console default: everything renewd needs, and every write.
	all := []AccessRule{rule("GET /*"), rule("POST /*"), rule("PUT /*"), rule("DELETE /*")}
	rc := CheckRules(all)
	if len(rc.Missing) != 0 {
		t.Errorf("all rules: missing %v", rc.Missing)
	}
	if w := rc.ExtraWrites(); len(w) != 3 {
		t.Errorf("all rules: extra writes %v, want POST, PUT and DELETE /*", w)
	}
	// The old curl recipe's key: no serviceInfos, no payment method reads,
	// no reading of itself.
	old := []AccessRule{rule("GET /service"), rule("GET /service/*"), rule("GET /services"), rule("POST /service/*/renew"),
		rule("GET /me/order"), rule("GET /me/order/*"), rule("POST /me/order/*/pay"),
		rule("POST /me/order/*/payWithRegisteredPaymentMean"), rule("GET /me/payment/method"), rule("DELETE /*")}
	rc = CheckRules(old)
	var missing []string
	for _, m := range rc.Missing {
		missing = append(missing, m.String())
	}
	if got := strings.Join(missing, ", "); got != "GET /auth/currentCredential, GET /*/serviceInfos, GET /me/payment/method/*" {
		t.Errorf("missing = %s", got)
	}
	if w := rc.ExtraWrites(); len(w) != 1 || w[0].String() != "DELETE /*" {
		t.Errorf("extra writes = %v, want DELETE /*", w)
	}
	for _, r := range AccessRules() {
		if r.Why == "" || r.Method != strings.ToUpper(r.Method) || !strings.HasPrefix(r.Path, "/") {
			t.Errorf("rule %s has no why, or is not written as OVH takes it", r)
		}
	}
}
