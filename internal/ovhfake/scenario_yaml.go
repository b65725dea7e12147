package ovhfake

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/renewd/renewd"
)

// yamlScenario is the YAML form of a Scenario (see LoadScenario).
type yamlScenario struct {
	Currency       string              `yaml:"currency"`
	Wire           yamlWire            `yaml:"wire"`
	Services       []yamlService       `yaml:"services"`
	PaymentMethods []yamlPaymentMethod `yaml:"payment_methods"`
}

type yamlWire struct {
	Time           TimeForm      `yaml:"time"`
	Price          PriceForm     `yaml:"price"`
	Expanded       ExpandedMode  `yaml:"expanded"`
	MaxPageSize    int           `yaml:"max_page_size"`
	Batch          BatchMode     `yaml:"batch"`
	StrictDuration bool          `yaml:"strict_duration"`
	OrderDates     OrderDateMode `yaml:"order_dates"`
}

type yamlService struct {
	ID             int64          `yaml:"id"`
	Name           string         `yaml:"name"`
	Type           string         `yaml:"type"`
	Expiration     yamlDate       `yaml:"expiration"`
	ExpirationTime yamlTimeOfDay  `yaml:"expiration_time"`
	EngagedUntil   yamlDate       `yaml:"engaged_until"`
	RenewMode      string         `yaml:"renew_mode"`
	State          string         `yaml:"state"`
	Strategies     []yamlStrategy `yaml:"strategies"`
}

type yamlStrategy struct {
	Period    string     `yaml:"period"`
	Services  []int64    `yaml:"services"`
	Price     yamlAmount `yaml:"price"`
	PriceForm PriceForm  `yaml:"price_form"`
}

type yamlPaymentMethod struct {
	ID          int64  `yaml:"id"`
	PaymentType string `yaml:"payment_type"`
	Default     bool   `yaml:"default"`
	Status      string `yaml:"status"`
	MeanID      int64  `yaml:"mean_id"`
}

// yamlDate reads a calendar date written 2006-01-02, and nothing else: a
// service's expiration is a date, its time of day a separate key.
type yamlDate struct{ d renewd.Date }

// yamlTimeOfDay reads a time of day written 15:04:05 (or 15:04).
type yamlTimeOfDay struct{ d time.Duration }

// yamlAmount reads a decimal price exactly (no float on the way).
type yamlAmount struct {
	ucents int64
	set    bool
}

func (a *yamlAmount) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: price must be a decimal amount such as 12.99", n.Line)
	}
	v, err := renewd.ParseAmount(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: price %q: %w", n.Line, n.Value, err)
	}
	a.ucents, a.set = v, true
	return nil
}

func (d *yamlDate) UnmarshalYAML(n *yaml.Node) error {
	_, err := time.Parse(time.DateOnly, n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		return fmt.Errorf("line %d: %q is not a calendar date such as 2026-12-01 (a time of day goes in expiration_time)", n.Line, n.Value)
	}
	v, err := renewd.ParseDate(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	d.d = v
	return nil
}

func (t *yamlTimeOfDay) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: expiration_time must be a time of day such as 19:56:28", n.Line)
	}
	v, err := ParseTimeOfDay(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: expiration_time: %w", n.Line, err)
	}
	t.d = v
	return nil
}

// LoadScenario reads a scenario in YAML:
//
//	currency: EUR
//	wire:                            # how the API speaks; every key optional (see Wire)
//	  time: paris                    # paris | utc | expiration-date
//	  price: value                   # value | ucents | ucents-disagree | ucents-null | no-value | zero | huge | negative | 18-digits
//	  expanded: honoured             # honoured | ignored | refused
//	  max_page_size: 0               # 0: pages as long as asked
//	  batch: string-keys             # string-keys | number-keys | refused
//	  strict_duration: false         # true: POST renew takes a period only as renewPeriod spelt it
//	services:
//	  - id: 1001
//	    name: vps-alpha.vps.ovh.net
//	    type: vps                    # the route: vps, domain, hosting/web...
//	    expiration: 2026-12-01       # a calendar date
//	    expiration_time: "19:56:28"  # its time of day in Paris on /services; default 00:00:00
//	    engaged_until: 2027-06-01    # default: no engagement
//	    renew_mode: manual           # default manual
//	    state: ok                    # default ok
//	    strategies:
//	      - period: P1M
//	        price: 7.00              # without tax, exact decimal; required
//	      - period: P12M             # listed as spelt
//	        services: [1001, 1002]   # default: the service alone
//	        price: 49.99
//	        price_form: ucents       # default: wire.price
//	payment_methods:
//	  - id: 9001
//	    payment_type: CREDIT_CARD
//	    default: true
//	    status: VALID                # default VALID
//	    mean_id: 0
//
// Unknown keys are errors. Every error names the line at fault, including
// the checks of Scenario.Validate. The result has its defaults filled in.
func LoadScenario(r io.Reader) (Scenario, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return Scenario{}, fmt.Errorf("read scenario: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var ys yamlScenario
	if err := dec.Decode(&ys); err != nil {
		if errors.Is(err, io.EOF) {
			return Scenario{}, errors.New("scenario is empty")
		}
		return Scenario{}, fmt.Errorf("scenario: %w", err)
	}
	sc, err := ys.scenario()
	if err == nil {
		err = sc.Validate()
	}
	if err != nil {
		var fe *FixtureError
		if errors.As(err, &fe) {
			if line := fixtureLine(data, fe); line > 0 {
				return Scenario{}, fmt.Errorf("scenario: line %d: %w", line, err)
			}
		}
		return Scenario{}, fmt.Errorf("scenario: %w", err)
	}
	return sc.withDefaults(), nil
}

// scenario converts the YAML form; a strategy without a price is an error
// (a free renewal is written "price: 0").
func (ys yamlScenario) scenario() (Scenario, error) {
	sc := Scenario{Currency: ys.Currency, Wire: Wire(ys.Wire)}
	for i, s := range ys.Services {
		fx := ServiceFixture{ID: s.ID, Name: s.Name, Type: s.Type, Expiration: s.Expiration.d,
			ExpirationTime: s.ExpirationTime.d, EngagedUntil: s.EngagedUntil.d, RenewMode: s.RenewMode, State: s.State}
		for j, st := range s.Strategies {
			if !st.Price.set {
				return Scenario{}, &FixtureError{Service: i, Strategy: j, PaymentMethod: -1,
					Err: fmt.Errorf("service %d: strategy %s has no price", s.ID, st.Period)}
			}
			ids := st.Services
			if ids == nil {
				ids = []int64{s.ID}
			}
			fx.Strategies = append(fx.Strategies, StrategyFixture{Period: st.Period, Services: ids,
				PriceUcents: st.Price.ucents, PriceForm: st.PriceForm})
		}
		sc.Services = append(sc.Services, fx)
	}
	for _, m := range ys.PaymentMethods {
		sc.PaymentMethods = append(sc.PaymentMethods, PaymentMethodFixture(m))
	}
	return sc, nil
}

// fixtureLine finds the line of the entry a FixtureError names, or 0.
func fixtureLine(data []byte, fe *FixtureError) int {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return 0
	}
	root := doc.Content[0]
	switch {
	case fe.Wire:
		if w := mapValue(root, "wire"); w != nil {
			return w.Line
		}
	case fe.PaymentMethod >= 0:
		return itemLine(mapValue(root, "payment_methods"), fe.PaymentMethod)
	case fe.Service >= 0:
		svcs := mapValue(root, "services")
		if svcs == nil || fe.Service >= len(svcs.Content) {
			return 0
		}
		svc := svcs.Content[fe.Service]
		if fe.Strategy >= 0 {
			return itemLine(mapValue(svc, "strategies"), fe.Strategy)
		}
		return svc.Line
	}
	return 0
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func itemLine(seq *yaml.Node, i int) int {
	if seq == nil || seq.Kind != yaml.SequenceNode || i >= len(seq.Content) {
		return 0
	}
	return seq.Content[i].Line
}
