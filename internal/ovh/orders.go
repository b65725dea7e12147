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

// Order statuses (billing.order.OrderStatusEnum) that renewd acts on. OVH may
// send others (documentsRequested, unknown, later additions): OrderStatus
// passes them through unchanged.
const (
	StatusNotPaid    = "notPaid"
	StatusChecking   = "checking"
	StatusDelivering = "delivering"
	StatusDelivered  = "delivered"
	StatusCancelled  = "cancelled"
	StatusCancelling = "cancelling"
)

// Order reads an order (GET /me/order/{id}). A missing order gives an error
// for which IsNotFound is true.
func (c *Client) Order(ctx context.Context, orderID int64) (Order, error) {
	var w wireOrder
	path := fmt.Sprintf("/me/order/%d", orderID)
	if _, err := c.get(ctx, "GET /me/order/{id}", path, nil, &w); err != nil {
		return Order{}, fmt.Errorf("get order %d: %w", orderID, err)
	}
	if w.OrderID == 0 {
		w.OrderID = orderID
	}
	o, err := w.toOrder()
	if err != nil {
		return Order{}, fmt.Errorf("get order %d: %w", orderID, err)
	}
	return o, nil
}

// OrderStatus reads an order's status (GET /me/order/{id}/status): notPaid,
// checking, delivering, delivered, cancelled, cancelling, or any other value
// OVH sends, unchanged.
func (c *Client) OrderStatus(ctx context.Context, orderID int64) (string, error) {
	var status string
	path := fmt.Sprintf("/me/order/%d/status", orderID)
	if _, err := c.get(ctx, "GET /me/order/{id}/status", path, nil, &status); err != nil {
		return "", fmt.Errorf("get status of order %d: %w", orderID, err)
	}
	return status, nil
}

// OrdersSince lists the ids of the orders dated from `from` on
// (GET /me/order?date.from=...), in increasing order.
func (c *Client) OrdersSince(ctx context.Context, from time.Time) ([]int64, error) {
	var ids []int64
	path := "/me/order?date.from=" + url.QueryEscape(from.UTC().Format(time.RFC3339))
	if _, err := c.get(ctx, "GET /me/order", path, nil, &ids); err != nil {
		return nil, fmt.Errorf("list orders since %s: %w", from.UTC().Format(time.RFC3339), err)
	}
	slices.Sort(ids)
	return ids, nil
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

type wireOrderDetail struct {
	OrderDetailID int64   `json:"orderDetailId"`
	Domain        string  `json:"domain"`
	Description   string  `json:"description"`
	DetailType    *string `json:"detailType"`
	Cancelled     bool    `json:"cancelled"`
}

type wireItemDetail struct {
	Order struct {
		Action *string `json:"action"`
		Plan   struct {
			Duration *string `json:"duration"`
		} `json:"plan"`
	} `json:"order"`
}

// maxCachedOrders bounds the cache of order lines. Looking for a renewal
// order reads the lines of every order of the last two days, once per due
// service; the cache makes that once per order.
const maxCachedOrders = 4096

// OrderItems reads an order's lines: GET /me/order/{id}/details, each
// detail, and each detail's extension. A missing extension (404) leaves
// Action and Duration empty. Items are in detail id order. An order's lines
// do not change, so they are read from OVH once per Client; the order's
// status, which does change, is not part of them.
func (c *Client) OrderItems(ctx context.Context, orderID int64) ([]OrderItem, error) {
	c.itemsMu.Lock()
	items, ok := c.items[orderID]
	c.itemsMu.Unlock()
	if ok {
		return items, nil
	}
	items, err := c.readOrderItems(ctx, orderID)
	if err != nil {
		return nil, err
	}
	c.itemsMu.Lock()
	if c.items == nil || len(c.items) >= maxCachedOrders {
		c.items = map[int64][]OrderItem{}
	}
	c.items[orderID] = items
	c.itemsMu.Unlock()
	return items, nil
}

func (c *Client) readOrderItems(ctx context.Context, orderID int64) ([]OrderItem, error) {
	var detailIDs []int64
	path := fmt.Sprintf("/me/order/%d/details", orderID)
	if _, err := c.get(ctx, "GET /me/order/{id}/details", path, nil, &detailIDs); err != nil {
		return nil, fmt.Errorf("list details of order %d: %w", orderID, err)
	}
	slices.Sort(detailIDs)
	items := make([]OrderItem, 0, len(detailIDs))
	for _, d := range detailIDs {
		var w wireOrderDetail
		dpath := fmt.Sprintf("/me/order/%d/details/%d", orderID, d)
		if _, err := c.get(ctx, "GET /me/order/{id}/details/{detailId}", dpath, nil, &w); err != nil {
			return nil, fmt.Errorf("get detail %d of order %d: %w", d, orderID, err)
		}
		item := OrderItem{DetailID: d, Domain: w.Domain, Description: w.Description, Cancelled: w.Cancelled}
		if w.DetailType != nil {
			item.DetailType = *w.DetailType
		}
		var ext wireItemDetail
		_, err := c.get(ctx, "GET /me/order/{id}/details/{detailId}/extension", dpath+"/extension", nil, &ext)
		switch {
		case IsNotFound(err):
		case err != nil:
			return nil, fmt.Errorf("get extension of detail %d of order %d: %w", d, orderID, err)
		default:
			if ext.Order.Action != nil {
				item.Action = *ext.Order.Action
			}
			if ext.Order.Plan.Duration != nil {
				item.Duration = *ext.Order.Plan.Duration
			}
		}
		items = append(items, item)
	}
	return items, nil
}

// renews reports whether the item renews the named service for the period:
// a renewal line (action renew or detail type RENEW), not cancelled, for
// that service name, whose duration equals the period (an unknown duration
// is accepted on a RENEW line only).
func (it OrderItem) renews(serviceName string, period renewd.Period) bool {
	if it.Cancelled || !strings.EqualFold(it.Domain, serviceName) {
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
// named service for the period: the reconciliation of a CreateRenewOrder
// whose outcome is unknown, and the check for an order OVH already holds.
// Orders are examined newest (highest id) first; an order whose status is
// cancelled or cancelling is passed over, and so is every order for which
// skip (when not nil) returns true: the caller names the orders it already
// knows to belong to something else, since two services may share a name.
// It returns the order, its status and true, or false when none matches.
func (c *Client) FindRenewOrder(ctx context.Context, since time.Time, serviceName string, period renewd.Period, skip func(orderID int64) bool) (Order, string, bool, error) {
	ids, err := c.OrdersSince(ctx, since)
	if err != nil {
		return Order{}, "", false, fmt.Errorf("find renewal order of %s: %w", serviceName, err)
	}
	for _, id := range slices.Backward(ids) {
		if skip != nil && skip(id) {
			continue
		}
		items, err := c.OrderItems(ctx, id)
		if err != nil {
			return Order{}, "", false, fmt.Errorf("find renewal order of %s: %w", serviceName, err)
		}
		if !slices.ContainsFunc(items, func(it OrderItem) bool { return it.renews(serviceName, period) }) {
			continue
		}
		status, err := c.OrderStatus(ctx, id)
		if err != nil {
			return Order{}, "", false, fmt.Errorf("find renewal order of %s: %w", serviceName, err)
		}
		if status == StatusCancelled || status == StatusCancelling {
			continue
		}
		o, err := c.Order(ctx, id)
		if err != nil {
			return Order{}, "", false, fmt.Errorf("find renewal order of %s: %w", serviceName, err)
		}
		return o, status, true, nil
	}
	return Order{}, "", false, nil
}
