package ovh

import "strings"

// maxRulePath bounds the paths Covers compares: an API path is short, and
// the comparison costs the product of the two lengths.
const maxRulePath = 512

// Covers reports whether rule g grants every call rule r grants: the same
// method, and every path r's pattern matches is matched by g's ("/*"
// covers "/service/*", "/service/*" covers "/service/*/renew", "/service/*"
// does not cover "/service"). A "*" in r can only be taken by a "*" in g,
// which makes the answer exact for the patterns OVH's rules use; a path over
// maxRulePath bytes covers nothing. It is pure.
func (g AccessRule) Covers(r AccessRule) bool {
	if !strings.EqualFold(g.Method, r.Method) || len(g.Path) > maxRulePath || len(r.Path) > maxRulePath {
		return false
	}
	return globCovers(g.Path, r.Path)
}

// globCovers reports whether pattern g matches every string pattern r
// matches, "*" matching any run of characters in both. ok[j] is whether
// g[:i] covers r[:j], row by row; a literal of g takes only the same
// literal of r, a star of g any run of r.
func globCovers(g, r string) bool {
	ok := make([]bool, len(r)+1)
	ok[0] = true
	for i := 0; i < len(g); i++ {
		next := make([]bool, len(r)+1)
		if g[i] == '*' {
			// A star in g takes any run of r, its stars included.
			seen := false
			for j := 0; j <= len(r); j++ {
				seen = seen || ok[j]
				next[j] = seen
			}
		} else {
			for j := 1; j <= len(r); j++ {
				next[j] = ok[j-1] && r[j-1] == g[i] // g[i] is no star: a star of r fails it
			}
		}
		ok = next
	}
	return ok[len(r)]
}

// RuleCheck is how a consumer key's rules compare with renewd's
// (AccessRules).
type RuleCheck struct {
	// Missing are renewd's rules that no granted rule covers: the calls
	// renewd would be refused (403 NOT_GRANTED_CALL).
	Missing []AccessRule
	// Extra are the granted rules that grant more than renewd's: some call
	// they allow is one renewd never makes. Writes (any method but GET)
	// among them let the key change or pay for things renewd never would.
	Extra []AccessRule
}

// CheckRules compares the granted rules with AccessRules. It is pure.
func CheckRules(granted []AccessRule) RuleCheck {
	var rc RuleCheck
	for _, need := range accessRules {
		if !anyCovers(granted, need) {
			rc.Missing = append(rc.Missing, need)
		}
	}
	for _, g := range granted {
		if !anyCovers(accessRules, g) {
			rc.Extra = append(rc.Extra, g)
		}
	}
	return rc
}

// ExtraWrites returns the extra rules that write (any method but GET).
func (rc RuleCheck) ExtraWrites() []AccessRule {
	var out []AccessRule
	for _, r := range rc.Extra {
		if !strings.EqualFold(r.Method, "GET") {
			out = append(out, r)
		}
	}
	return out
}

func anyCovers(rules []AccessRule, r AccessRule) bool {
	for _, g := range rules {
		if g.Covers(r) {
			return true
		}
	}
	return false
}
