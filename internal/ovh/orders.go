package ovh

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/renewd/renewd"
)

// OrderStatus is an order's status as OVH sends it
// (billing.order.OrderStatusEnum). Its methods say what renewd may do with
// the order; a value that none of them claims (documentsRequested, unknown,
// a value OVH adds later, a value in another case) allows nothing: the
// order is neither paid again nor counted as paid nor given up.
type OrderStatus string

// The values of billing.order.OrderStatusEnum.
const (
	StatusCancelled          OrderStatus = "cancelled"
	StatusCancelling         OrderStatus = "cancelling"
	StatusChecking           OrderStatus = "checking"
	StatusDelivered          OrderStatus = "delivered"
	StatusDelivering         OrderStatus = "delivering"
	StatusDocumentsRequested OrderStatus = "documentsRequested"
	StatusNotPaid            OrderStatus = "notPaid"
	StatusUnknown            OrderStatus = "unknown"
)

// Unpaid reports whether OVH waits for the order's payment: notPaid, and
// nothing else. It is the one status in which renewd may pay an order.
func (s OrderStatus) Unpaid() bool { return s == StatusNotPaid }

// Paid reports whether OVH has taken the money: checking, delivering or
// delivered. Such an order is never paid again.
func (s OrderStatus) Paid() bool {
	return s == StatusChecking || s == StatusDelivering || s == StatusDelivered
}

// Gone reports whether OVH will never take a payment for the order:
// cancelled or cancelling. Such an order may be replaced by a new one.
func (s OrderStatus) Gone() bool { return s == StatusCancelled || s == StatusCancelling }

// Order reads an order (GET /me/order/{id}). A missing order gives an error
// for which IsNotFound is true. Prices renewd cannot use come back in
// Order.PriceErr, with a nil error (see Order).
func (c *Client) Order(ctx context.Context, orderID int64) (Order, error) {
	path := fmt.Sprintf("/me/order/%d", orderID)
	_, body, err := c.getRaw(ctx, "GET /me/order/{id}", path, nil)
	if err != nil {
		return Order{}, fmt.Errorf("get order %d: %w", orderID, err)
	}
	o, err := decodeOrder(body)
	if err != nil {
		return Order{}, fmt.Errorf("get order %d: decode GET %s: %w", orderID, path, err)
	}
	if o.ID == 0 {
		o.ID = orderID
	}
	return o, nil
}

// OrderStatus reads an order's status (GET /me/order/{id}/status), as sent:
// see OrderStatus for what each value allows. An answer that is not a JSON
// string is an error.
func (c *Client) OrderStatus(ctx context.Context, orderID int64) (OrderStatus, error) {
	path := fmt.Sprintf("/me/order/%d/status", orderID)
	_, body, err := c.getRaw(ctx, "GET /me/order/{id}/status", path, nil)
	if err != nil {
		return "", fmt.Errorf("get status of order %d: %w", orderID, err)
	}
	status, err := decodeOrderStatus(body)
	if err != nil {
		return "", fmt.Errorf("get status of order %d: decode GET %s: %w", orderID, path, err)
	}
	return status, nil
}

// OrdersSince lists the ids of the orders dated from `from` on
// (GET /me/order?date.from=...), in increasing order, each once. The cycle
// may call it once per account and match the lines of each order (OrderItems,
// OrderItem.Renews) against every due service.
func (c *Client) OrdersSince(ctx context.Context, from time.Time) ([]int64, error) {
	var ids []int64
	path := "/me/order?date.from=" + url.QueryEscape(from.UTC().Format(time.RFC3339))
	if _, err := c.get(ctx, "GET /me/order", path, nil, &ids); err != nil {
		return nil, fmt.Errorf("list orders since %s: %w", from.UTC().Format(time.RFC3339), err)
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// OrderItem is one line of an order (billing.OrderDetail) with what its
// extension (billing.ItemDetail) says of it.
type OrderItem struct {
	DetailID    int64
	Domain      string // the service name, for a renewal
	Description string
	DetailType  string // RENEW, DURATION, ...; "" when OVH gives none
	Action      string // renew, installation, ...; "" when the extension is missing
	Duration    string // ISO 8601 as sent, e.g. P1Y; "" when unknown
	Cancelled   bool
}

// maxCachedOrders bounds the cache of order lines, about 1 KB an order.
// Finding renewal orders reads the lines of every order of the last two
// days; the cache makes that once per order and Client. When it is full it
// is emptied and fills again: it never holds more than this many orders.
const maxCachedOrders = 4096

// OrderItems reads an order's lines: GET /me/order/{id}/details, each
// detail, and each detail's extension. A missing extension (404) leaves
// Action and Duration empty; a detail or an extension that cannot be read
// is an error (the line might be the one looked for, see
// decodeOrderDetail). Items are in detail id order. An order's lines do not
// change, so they are read from OVH once per Client (failures are not
// kept); the order's status, which does change, is not part of them. The
// slice returned is the caller's own. Safe for concurrent use.
func (c *Client) OrderItems(ctx context.Context, orderID int64) ([]OrderItem, error) {
	c.itemsMu.Lock()
	items, ok := c.items[orderID]
	c.itemsMu.Unlock()
	if ok {
		return slices.Clone(items), nil
	}
	items, err := c.readOrderItems(ctx, orderID)
	if err != nil {
		return nil, err
	}
	c.itemsMu.Lock()
	if c.items == nil || len(c.items) >= maxCachedOrders {
		c.items = make(map[int64][]OrderItem)
	}
	c.items[orderID] = items
	c.itemsMu.Unlock()
	return slices.Clone(items), nil
}

func (c *Client) readOrderItems(ctx context.Context, orderID int64) ([]OrderItem, error) {
	var detailIDs []int64
	path := fmt.Sprintf("/me/order/%d/details", orderID)
	if _, err := c.get(ctx, "GET /me/order/{id}/details", path, nil, &detailIDs); err != nil {
		return nil, fmt.Errorf("list details of order %d: %w", orderID, err)
	}
	slices.Sort(detailIDs)
	detailIDs = slices.Compact(detailIDs)
	items := make([]OrderItem, 0, len(detailIDs))
	for _, d := range detailIDs {
		dpath := fmt.Sprintf("/me/order/%d/details/%d", orderID, d)
		_, body, err := c.getRaw(ctx, "GET /me/order/{id}/details/{detailId}", dpath, nil)
		if err != nil {
			return nil, fmt.Errorf("get detail %d of order %d: %w", d, orderID, err)
		}
		item, err := decodeOrderDetail(body, d)
		if err != nil {
			return nil, fmt.Errorf("get detail %d of order %d: decode GET %s: %w", d, orderID, dpath, err)
		}
		_, body, err = c.getRaw(ctx, "GET /me/order/{id}/details/{detailId}/extension", dpath+"/extension", nil)
		switch {
		case IsNotFound(err):
		case err != nil:
			return nil, fmt.Errorf("get extension of detail %d of order %d: %w", d, orderID, err)
		default:
			if item.Action, item.Duration, err = decodeItemExtension(body); err != nil {
				return nil, fmt.Errorf("get extension of detail %d of order %d: decode GET %s/extension: %w", d, orderID, dpath, err)
			}
		}
		items = append(items, item)
	}
	return items, nil
}

// renews reports whether the line renews the named service for the period
// (exported as Renews): a renewal line (action renew, or detail type
// RENEW), not cancelled, for that service name (OVH's domain field,
// compared without regard to case; an empty name matches nothing), whose
// duration equals the period (P12M equals P1Y). A line whose duration is
// unknown (no extension) is accepted on a RENEW line only. It is pure.
func (it OrderItem) renews(serviceName string, period renewd.Period) bool {
	if it.Cancelled || serviceName == "" || !strings.EqualFold(it.Domain, serviceName) {
		return false
	}
	isRenew := strings.EqualFold(it.Action, "renew") || it.DetailType == "RENEW"
	if !isRenew {
		return false
	}
	if it.Duration == "" {
		return it.DetailType == "RENEW"
	}
	d, err := renewd.ParsePeriod(it.Duration)
	return err == nil && d.Equal(period)
}

// FindRenewOrder looks for an order created since `since` that renews the
// named service for the period (OrderItem.Renews): the reconciliation of a
// CreateRenewOrder whose outcome is unknown, and the check for an order OVH
// already holds. Orders are examined newest (highest id) first; an order
// whose status is Gone is passed over, and so is every order for which
// skip (when not nil) returns true: the caller names the orders it already
// knows to belong to something else, since two services may share a name.
// It returns the order, its status (any value, including those that allow
// nothing; see OrderStatus) and true, or false when none matches. An order
// line that cannot be read is an error, never passed over.
func (c *Client) FindRenewOrder(ctx context.Context, since time.Time, serviceName string, period renewd.Period, skip func(orderID int64) bool) (Order, OrderStatus, bool, error) {
	ids, err := c.OrdersSince(ctx, since)
	if err != nil {
		return Order{}, "", false, fmt.Errorf("find renewal order of %s: %w", quote(serviceName), err)
	}
	for _, id := range slices.Backward(ids) {
		if skip != nil && skip(id) {
			continue
		}
		items, err := c.OrderItems(ctx, id)
		if err != nil {
			return Order{}, "", false, fmt.Errorf("find renewal order of %s: %w", quote(serviceName), err)
		}
		if !slices.ContainsFunc(items, func(it OrderItem) bool { return it.renews(serviceName, period) }) {
			continue
		}
		status, err := c.OrderStatus(ctx, id)
		if err != nil {
			return Order{}, "", false, fmt.Errorf("find renewal order of %s: %w", quote(serviceName), err)
		}
		if status.Gone() {
			continue
		}
		o, err := c.Order(ctx, id)
		if err != nil {
			return Order{}, "", false, fmt.Errorf("find renewal order of %s: %w", quote(serviceName), err)
		}
		return o, status, true, nil
	}
	return Order{}, "", false, nil
}
