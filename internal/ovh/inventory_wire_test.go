package ovh

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/renewd/renewd"
)

// wireService is one service as a test serves it, in both shapes.
type wireSvc struct {
	id       int64
	plain    string // GET /service/{id}, a batch item's value
	expanded string // an element of the expanded listing; "" = not served there
}

// inventoryForms serves services in each inventory form, from the cheapest.
var inventoryForms = []struct {
	name  string
	serve func(ws *wireServer, svcs []wireSvc)
}{
	{"expanded page", func(ws *wireServer, svcs []wireSvc) {
		var items []string
		for _, s := range svcs {
			items = append(items, s.expanded)
		}
		ws.on("GET /services", func(wireRequest) wireReply {
			return wireReply{Body: "[" + strings.Join(items, ",") + "]",
				Header: map[string]string{"X-Pagination-Elements": strconv.Itoa(len(items))}}
		})
	}},
	{"batch item", func(ws *wireServer, svcs []wireSvc) {
		ws.status("GET /services", 400)
		var ids, items []string
		for i, s := range svcs {
			id := strconv.FormatInt(s.id, 10)
			ids = append(ids, id)
			key := id // keys alternate between a number and a string
			if i%2 == 1 {
				key = strconv.Quote(id)
			}
			items = append(items, batchItemJSON(key, s.plain))
		}
		ws.reply("GET /service", "["+strings.Join(ids, ",")+"]")
		ws.reply("GET /service/"+strings.Join(ids, ","), batchJSON(items...))
	}},
	{"one call per service", func(ws *wireServer, svcs []wireSvc) {
		ws.status("GET /services", 400)
		var ids []string
		for _, s := range svcs {
			id := strconv.FormatInt(s.id, 10)
			ids = append(ids, id)
			ws.reply("GET /service/"+id, s.plain)
		}
		ws.reply("GET /service", "["+strings.Join(ids, ",")+"]")
		ws.status("GET /service/"+strings.Join(ids, ","), 400)
	}},
}

func TestEveryExpirationFormIsTheCalendarDateInItsOwnOffset(t *testing.T) {
	want := renewd.Date{Year: 2026, Month: 12, Day: 5}
	forms := []string{
		`"2026-12-05"`,                     // date-typed fields (/service/{id}, serviceInfos)
		`"2026-12-05T00:00:00+01:00"`,      // Paris winter midnight: 2026-12-04 in UTC
		`"2026-12-05T00:00:00+02:00"`,      // Paris summer midnight
		`"2026-12-05T12:30:24Z"`,           // a creation time of day, in UTC
		`"2026-12-05T23:59:59-05:00"`,      // 2026-12-06 in UTC
		`"2026-12-05T00:30:00.5+01:00"`,    // a fraction of a second
		`"2026-12-05T19:56:28.123456789Z"`, // nanoseconds
		`"2026-12-05T19:56:28"`,            // a time of day without an offset
		`"2026-12-05+01:00"`,               // a date with a zone
		`"2026-12-05Z"`,                    // a date with a zone
		`"2026-12-05T00:00:00.000000+01:00"` /* fraction and offset */}
	for _, form := range inventoryForms {
		for _, exp := range forms {
			t.Run(form.name+" "+exp, func(t *testing.T) {
				ws := newWireServer(t)
				c := newWireClient(t, ws)
				form.serve(ws, []wireSvc{
					{1001, serviceJSON("vps-a", exp), expandedJSON(1001, "vps-a", exp)},
					{1002, serviceJSON("vps-b", `"2027-01-31"`), expandedJSON(1002, "vps-b", `"2027-01-31"`)},
				})
				got, err := c.Services(context.Background())
				if err != nil {
					t.Fatalf("Services: %v", err)
				}
				if len(got) != 2 || got[0].Expiration != want || got[0].Problem != "" {
					t.Fatalf("services = %+v, want 1001 expiring %s", got, want)
				}
				if got[1].Expiration != (renewd.Date{Year: 2027, Month: 1, Day: 31}) {
					t.Errorf("1002 expires %s, want 2027-01-31", got[1].Expiration)
				}
			})
		}
	}
	for _, exp := range forms {
		t.Run("Service "+exp, func(t *testing.T) {
			ws := newWireServer(t)
			c := newWireClient(t, ws)
			ws.reply("GET /service/1001", serviceJSON("vps-a", exp))
			s, err := c.Service(context.Background(), 1001)
			if err != nil || s.Expiration != want {
				t.Fatalf("Service = %+v, %v; want expiring %s", s, err, want)
			}
		})
	}
}

// unreadableCase is a service whose answer cannot be read, and what its
// Problem must say.
type unreadableCase struct {
	svc         wireSvc
	name        string // the name still read, "" for none
	wantProblem string // a part of Problem
}

func unreadableCases() []unreadableCase {
	badName := func(id int64) string {
		return `{"serviceId":` + strconv.FormatInt(id, 10) + `,"resource":{"displayName":"shown","name":42},` +
			`"route":{"path":"/vps/{serviceName}","vars":[{"key":"serviceName","value":"vps-d"}]},` +
			`"billing":{"expirationDate":"2026-12-05"}}`
	}
	return []unreadableCase{
		{wireSvc{1002, serviceJSON("vps-b", `"next tuesday"`), expandedJSON(1002, "vps-b", `"next tuesday"`)},
			"vps-b", `expirationDate: "next tuesday" is not a date`},
		{wireSvc{1003, serviceJSON("vps-c", `20261205`), expandedJSON(1003, "vps-c", `20261205`)},
			"vps-c", `expirationDate" is a JSON number, not a string`},
		{wireSvc{1004, `{"expirationDate":"2026-12-05","resource":{"displayName":"shown","name":42},` +
			`"route":{"path":"/vps/{serviceName}","vars":[{"key":"serviceName","value":"vps-d"}]}}`, badName(1004)},
			"vps-d", `"resource.name" is a JSON number, not a string`},
		{wireSvc{1005, serviceJSON("vps-e", `"2026-02-30"`), expandedJSON(1005, "vps-e", `"2026-02-30T00:00:00+01:00"`)},
			"vps-e", `: "2026-02-30`},
	}
}

func TestUnreadableServiceIsReportedNotFatal(t *testing.T) {
	good := wireSvc{1001, serviceJSON("vps-a", `"2026-12-05"`), expandedJSON(1001, "vps-a", `"2026-12-05"`)}
	for _, form := range inventoryForms {
		t.Run(form.name, func(t *testing.T) {
			ws := newWireServer(t)
			c := newWireClient(t, ws)
			cases := unreadableCases()
			svcs := []wireSvc{good}
			for _, u := range cases {
				svcs = append(svcs, u.svc)
			}
			form.serve(ws, svcs)
			got, err := c.Services(context.Background())
			if err != nil {
				t.Fatalf("Services: %v (one unreadable service must not fail the inventory)", err)
			}
			if len(got) != 1+len(cases) {
				t.Fatalf("got %d services, want %d: %+v", len(got), 1+len(cases), got)
			}
			if got[0].Problem != "" || got[0].Expiration.IsZero() {
				t.Errorf("the readable service: %+v", got[0])
			}
			for i, u := range cases {
				s := got[i+1]
				checkUnreadable(t, s, u)
				if !strings.Contains(c.logs.String(), "service_id="+strconv.FormatInt(u.svc.id, 10)) {
					t.Errorf("no warning names service %d:\n%s", u.svc.id, c.logs.String())
				}
			}
			if n := c.Stats().Unreadable; n != len(cases) {
				t.Errorf("Stats.Unreadable = %d, want %d", n, len(cases))
			}
		})
	}
}

func checkUnreadable(t *testing.T, s renewd.Service, u unreadableCase) {
	t.Helper()
	if s.ID != u.svc.id || s.Account != "main" {
		t.Errorf("service %d: id %d account %q", u.svc.id, s.ID, s.Account)
	}
	if !strings.Contains(s.Problem, u.wantProblem) {
		t.Errorf("service %d: Problem = %q, want it to contain %q", s.ID, s.Problem, u.wantProblem)
	}
	if !s.Expiration.IsZero() || s.RenewMode != renewd.RenewUnknown {
		t.Errorf("service %d has a Problem but expiration %s, mode %v: a half-read answer must not be decided", s.ID, s.Expiration, s.RenewMode)
	}
	if s.Name != u.name {
		t.Errorf("service %d: name %q, want %q", s.ID, s.Name, u.name)
	}
}

func TestUnreadableBodyInOneCallPerService(t *testing.T) {
	ws := newWireServer(t)
	c := newWireClient(t, ws)
	ws.status("GET /services", 404)
	ws.reply("GET /service", "[1001,1002]")
	ws.status("GET /service/1001,1002", 400)
	ws.reply("GET /service/1001", serviceJSON("vps-a", `"2026-12-05"`))
	ws.reply("GET /service/1002", `{"expirationDate":"2026-12-05","resource":`) // cut short
	got, err := c.Services(context.Background())
	if err != nil {
		t.Fatalf("Services: %v", err)
	}
	if len(got) != 2 || got[1].ID != 1002 || !strings.Contains(got[1].Problem, "not valid JSON") || !got[1].Expiration.IsZero() {
		t.Fatalf("services = %+v, want 1002 with a Problem", got)
	}
}

func TestServiceUnreadableIsAnErrorWithTheService(t *testing.T) {
	for _, u := range unreadableCases() {
		t.Run(u.wantProblem, func(t *testing.T) {
			ws := newWireServer(t)
			c := newWireClient(t, ws)
			ws.reply("GET /service/"+strconv.FormatInt(u.svc.id, 10), u.svc.plain)
			s, err := c.Service(context.Background(), u.svc.id)
			if !errors.Is(err, ErrUnreadable) {
				t.Fatalf("err = %v, want ErrUnreadable: an unreadable re-read must never pass for an unchanged one", err)
			}
			checkUnreadable(t, s, u)
			if c.Stats().Unreadable != 1 {
				t.Errorf("Stats.Unreadable = %d, want 1", c.Stats().Unreadable)
			}
		})
	}
}

func TestBatchKeysAsNumbersOrStrings(t *testing.T) {
	ws := newWireServer(t)
	c := newWireClient(t, ws)
	ws.status("GET /services", 400)
	ws.reply("GET /service", "[1001,1002,1003]")
	ws.reply("GET /service/1001,1002,1003", batchJSON(
		batchItemJSON(`1001`, serviceJSON("vps-a", `"2026-12-05"`)),
		batchItemJSON(`"1002"`, serviceJSON("vps-b", `"2026-12-06"`)),
		batchItemJSON(`"1003"`, serviceJSON("vps-c", `"2026-12-07"`)),
	))
	got, err := c.Services(context.Background())
	if err != nil || len(got) != 3 {
		t.Fatalf("Services = %+v, %v", got, err)
	}
	for i, s := range got {
		if s.Expiration.Day != 5+i || s.Problem != "" {
			t.Errorf("service %d: %+v", s.ID, s)
		}
	}
	if n := len(ws.requests("")) - 3; n != 0 {
		t.Errorf("%d requests beyond the listing, the ids and the batch: every key should have been read", n)
	}
}

func TestBatchNotHonouredFallsBackToOneCallPerService(t *testing.T) {
	tests := []struct {
		name  string
		batch wireReply
	}{
		{"refused 400", ovhError(400)},
		{"refused 403", ovhError(403)},
		{"refused 404", ovhError(404)},
		{"refused 405", ovhError(405)},
		{"an object for several ids", wireReply{Body: serviceJSON("vps-a", `"2026-12-05"`)}},
		{"not JSON", wireReply{Body: `<html>batch?</html>`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := newWireServer(t)
			c := newWireClient(t, ws)
			ws.status("GET /services", 400)
			ws.reply("GET /service", "[1001,1002]")
			ws.on("GET /service/1001,1002", func(wireRequest) wireReply { return tt.batch })
			ws.reply("GET /service/1001", serviceJSON("vps-a", `"2026-12-05"`))
			ws.reply("GET /service/1002", serviceJSON("vps-b", `"2026-12-06"`))
			got, err := c.Services(context.Background())
			if err != nil || len(got) != 2 || got[0].Problem != "" || got[1].Problem != "" {
				t.Fatalf("Services = %+v, %v", got, err)
			}
			if got[0].Name != "vps-a" || got[1].Expiration.Day != 6 {
				t.Errorf("services = %+v", got)
			}
			if c.form != formPlain {
				t.Errorf("remembered form %v, want plain", c.form)
			}
		})
	}
}

func TestBatchItemInErrorIsReadAlone(t *testing.T) {
	ws := newWireServer(t)
	c := newWireClient(t, ws)
	ws.status("GET /services", 400)
	ws.reply("GET /service", "[1001,1002]")
	ws.reply("GET /service/1001,1002", batchJSON(
		batchItemJSON(`1001`, serviceJSON("vps-a", `"2026-12-05"`)),
		`{"key":"1002","value":null,"error":"Internal error"}`,
	))
	ws.reply("GET /service/1002", serviceJSON("vps-b", `"2026-12-06"`))
	got, err := c.Services(context.Background())
	if err != nil || len(got) != 2 || got[1].Expiration.Day != 6 {
		t.Fatalf("Services = %+v, %v", got, err)
	}
	if n := len(ws.requests("GET /service/1002")); n != 1 {
		t.Errorf("service 1002 read alone %d times, want 1", n)
	}
	if n := len(ws.requests("GET /service/1001")); n != 0 {
		t.Errorf("service 1001 read alone %d times, want 0", n)
	}
}

// fmtIDs writes ids as OVH lists them.
func fmtIDs(ids ...int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return "[" + strings.Join(s, ",") + "]"
}
