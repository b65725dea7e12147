package ovhfake

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// reply is a buffered answer: handlers build it under the fake's lock and
// ServeHTTP decides afterwards whether to send it, replace it or drop it.
type reply struct {
	status int
	body   []byte
	header http.Header
}

// jsonReply encodes v as the answer. v is always one of the fake's own wire
// types, so encoding cannot fail.
func jsonReply(status int, v any) reply {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("ovhfake: encode answer: %v", err))
	}
	return reply{status: status, body: b}
}

func okReply(v any) reply { return jsonReply(http.StatusOK, v) }

// apiError is OVH's current error body, {"class":"Client::NotFound",
// "message":"..."}, which go-ovh decodes into *ovh.APIError.
func apiError(status int, msg string) reply {
	return jsonReply(status, struct {
		Class   string `json:"class"`
		Message string `json:"message"`
	}{errorClass(status), msg})
}

func errorClass(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "Client::BadRequest"
	case http.StatusUnauthorized:
		return "Client::Unauthorized"
	case http.StatusForbidden:
		return "Client::Forbidden"
	case http.StatusNotFound:
		return "Client::NotFound"
	case http.StatusMethodNotAllowed:
		return "Client::MethodNotAllowed"
	case http.StatusConflict:
		return "Client::Conflict"
	case http.StatusTooManyRequests:
		return "Client::TooManyRequests"
	case http.StatusInternalServerError:
		return "Server::InternalServerError"
	case http.StatusBadGateway:
		return "Server::BadGateway"
	case http.StatusServiceUnavailable:
		return "Server::ServiceUnavailable"
	case http.StatusGatewayTimeout:
		return "Server::GatewayTimeout"
	}
	if status >= 500 {
		return "Server::Error"
	}
	return "Client::Error"
}

// legacyError is the older body OVH still uses for authentication errors:
// {"errorCode":"INVALID_CREDENTIAL","httpCode":"403 Forbidden","message":...}.
func legacyError(status int, code, msg string) reply {
	return jsonReply(status, struct {
		ErrorCode string `json:"errorCode"`
		HTTPCode  string `json:"httpCode"`
		Message   string `json:"message"`
	}{code, fmt.Sprintf("%d %s", status, http.StatusText(status)), msg})
}

func notFound(what string, id any) reply {
	return apiError(http.StatusNotFound, fmt.Sprintf("The requested object (%s = %v) does not exist", what, id))
}

func badRequest(format string, args ...any) reply {
	return apiError(http.StatusBadRequest, fmt.Sprintf(format, args...))
}

type keyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// serviceRoute is service.Route: where the service lives in the API.
type serviceRoute struct {
	Path string     `json:"path"`
	URL  string     `json:"url"`
	Vars []keyValue `json:"vars"`
}

func routeOf(s ServiceFixture) serviceRoute {
	return serviceRoute{
		Path: "/" + s.Type + "/{serviceName}",
		URL:  "/" + s.Type + "/" + s.Name,
		Vars: []keyValue{{Key: "serviceName", Value: s.Name}},
	}
}
