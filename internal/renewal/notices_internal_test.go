package renewal

import (
	"fmt"
	"testing"
)

// TestNoticesForgetWhatNoCycleSaw: the dedupe memory of notices holds the
// keys of the last cycle only, so a daemon running for years keeps it as
// large as its list of due services.
func TestNoticesForgetWhatNoCycleSaw(t *testing.T) {
	e := New(Options{})
	for cycle := range 100 {
		// Each cycle sees the same standing notice and one that is new.
		if e.noticed("notice/standing") != (cycle > 0) {
			t.Fatalf("cycle %d: the standing notice's dedupe is wrong", cycle)
		}
		if e.noticed(fmt.Sprintf("notice/once/%d", cycle)) {
			t.Fatalf("cycle %d: a new notice counts as seen", cycle)
		}
		e.forgetNotices()
	}
	if n := len(e.notices); n != 2 {
		t.Errorf("after 100 cycles the notice memory holds %d keys, want the last cycle's 2", n)
	}
}
