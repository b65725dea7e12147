package ovhfake

import "strings"

// basePath is the API version prefix every route lives under.
const basePath = "/1.0"

// route is one METHOD + path pattern of the API. A pattern segment "{x}"
// matches one path segment; "{x...}" matches one or more (a service type
// such as hosting/web). key, "METHOD /pattern" without the dots, names the
// route in Requests and Fault.Route.
type route struct {
	method string
	segs   []string
	key    string
	auth   bool
	handle func(f *Fake, c *call) reply
}

func newRoute(method, pattern string, auth bool, h func(f *Fake, c *call) reply) *route {
	return &route{
		method: method,
		segs:   strings.Split(strings.TrimPrefix(pattern, "/"), "/"),
		key:    method + " " + strings.ReplaceAll(pattern, "...", ""),
		auth:   auth,
		handle: h,
	}
}

// routes is the whole API the fake serves, in match order.
var routes = []*route{
	newRoute("GET", "/auth/time", false, (*Fake).getAuthTime),
	newRoute("POST", "/auth/credential", false, (*Fake).postAuthCredential),
	newRoute("GET", "/auth/currentCredential", true, (*Fake).getCurrentCredential),

	newRoute("GET", "/service", true, (*Fake).listService),
	newRoute("GET", "/service/{id}", true, (*Fake).getService),
	newRoute("GET", "/service/{id}/renew", true, (*Fake).getRenewStrategies),
	newRoute("POST", "/service/{id}/renew", true, (*Fake).postRenew),

	newRoute("GET", "/services", true, (*Fake).listServices),
	newRoute("GET", "/services/{id}", true, (*Fake).getExpandedService),

	newRoute("GET", "/me/order", true, (*Fake).listOrders),
	newRoute("GET", "/me/order/{id}", true, (*Fake).getOrder),
	newRoute("GET", "/me/order/{id}/status", true, (*Fake).getOrderStatus),
	newRoute("GET", "/me/order/{id}/details", true, (*Fake).listOrderDetails),
	newRoute("GET", "/me/order/{id}/details/{detailId}", true, (*Fake).getOrderDetail),
	newRoute("GET", "/me/order/{id}/details/{detailId}/extension", true, (*Fake).getOrderDetailExtension),
	newRoute("GET", "/me/order/{id}/payment", true, (*Fake).getOrderPayment),
	newRoute("GET", "/me/order/{id}/associatedObject", true, (*Fake).getOrderAssociatedObject),
	newRoute("GET", "/me/order/{id}/availableRegisteredPaymentMean", true, (*Fake).getAvailableRegisteredPaymentMean),
	newRoute("GET", "/me/order/{id}/paymentMethods", true, (*Fake).getOrderPaymentMethods),
	newRoute("POST", "/me/order/{id}/pay", true, (*Fake).postPay),
	newRoute("POST", "/me/order/{id}/payWithRegisteredPaymentMean", true, (*Fake).postPayWithRegisteredPaymentMean),

	newRoute("GET", "/me/payment/method", true, (*Fake).listPaymentMethods),
	newRoute("GET", "/me/payment/method/{id}", true, (*Fake).getPaymentMethod),

	newRoute("GET", "/{type...}/{name}/serviceInfos", true, (*Fake).getServiceInfos),
}

// matchRoute finds the route for a request path (with its /1.0 prefix) and
// returns the path parameters by name, or nil when nothing matches.
func matchRoute(method, path string) (*route, map[string]string) {
	rest, ok := strings.CutPrefix(path, basePath+"/")
	if !ok {
		return nil, nil
	}
	segs := strings.Split(rest, "/")
	for _, rt := range routes {
		if rt.method != method {
			continue
		}
		if params, ok := matchSegs(rt.segs, segs); ok {
			return rt, params
		}
	}
	return nil, nil
}

func matchSegs(pat, segs []string) (map[string]string, bool) {
	multi := len(segs) - len(pat) + 1 // segments a "{x...}" takes
	params := map[string]string{}
	j := 0
	for _, p := range pat {
		name, isParam := strings.CutPrefix(p, "{")
		name, _ = strings.CutSuffix(name, "}")
		switch {
		case !isParam:
			if j >= len(segs) || segs[j] != p {
				return nil, false
			}
			j++
		case strings.HasSuffix(name, "..."):
			if multi < 1 || j+multi > len(segs) {
				return nil, false
			}
			for _, s := range segs[j : j+multi] {
				if s == "" {
					return nil, false
				}
			}
			params[strings.TrimSuffix(name, "...")] = strings.Join(segs[j:j+multi], "/")
			j += multi
		default:
			if j >= len(segs) || segs[j] == "" {
				return nil, false
			}
			params[name] = segs[j]
			j++
		}
	}
	return params, j == len(segs)
}
