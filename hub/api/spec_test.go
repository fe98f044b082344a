package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"conference/hub/api"
)

// Every request the API tests make goes through checkAgainstSpec: the
// request and the answer are validated against openapi.yaml with
// kin-openapi, schemas and all. A request the document calls invalid
// must be refused with a documented 4xx; every answer must be one the
// document lists for the operation, with a body its schema accepts.

// spec is openapi.yaml, loaded and validated once.
var spec = sync.OnceValues(func() (*openapi3.T, error) {
	// The reference page is text like text/plain; kin-openapi knows no
	// decoder for HTML of its own.
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPI())
	if err != nil {
		return nil, fmt.Errorf("openapi.yaml does not load: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("openapi.yaml is not a valid OpenAPI document: %w", err)
	}
	return doc, nil
})

var specRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := spec()
	if err != nil {
		return nil, err
	}
	return gorillamux.NewRouter(doc)
})

func loadSpec(t testing.TB) (*openapi3.T, routers.Router) {
	t.Helper()
	doc, err := spec()
	if err != nil {
		t.Fatal(err)
	}
	router, err := specRouter()
	if err != nil {
		t.Fatalf("route openapi.yaml: %v", err)
	}
	return doc, router
}

// credentialsPresent is the security check of request validation: it
// tells whether the request carries the scheme's credential at all; the
// API decides whether it is a good one.
func credentialsPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	s := in.SecurityScheme
	switch {
	case s.Type == "http" && strings.EqualFold(s.Scheme, "bearer"):
		scheme, token, ok := strings.Cut(in.RequestValidationInput.Request.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			return errors.New("no bearer token")
		}
	case s.Type == "apiKey" && s.In == "header":
		if in.RequestValidationInput.Request.Header.Get(s.Name) == "" {
			return fmt.Errorf("no %s header", s.Name)
		}
	default:
		return fmt.Errorf("security scheme %s %s is not checked by the tests", s.Type, s.Scheme)
	}
	return nil
}

// checkAgainstSpec validates one exchange of a test with the API.
func checkAgainstSpec(t testing.TB, hr *http.Request, body []byte, res response) {
	t.Helper()
	doc, router := loadSpec(t)
	ctx := context.Background()
	vr := hr.Clone(ctx)
	vr.Body = io.NopCloser(bytes.NewReader(body))
	if vr.URL.Path == api.Prefix {
		vr.URL.Path += "/" // the index, documented as "/"
	}
	what := hr.Method + " " + strings.TrimPrefix(hr.URL.RequestURI(), api.Prefix)
	if len(what) > 200 {
		what = what[:200] + "..."
	}
	route, params, err := router.FindRoute(vr)
	if err != nil {
		// Not in the document: the API must answer so, with its error body.
		if res.status != http.StatusNotFound && res.status != http.StatusMethodNotAllowed {
			t.Errorf("%s is not in openapi.yaml (%v), yet the API answered %d", what, err, res.status)
		}
		var v any
		if err := json.Unmarshal(res.body, &v); err != nil {
			t.Errorf("%s: answer is not JSON: %v", what, err)
			return
		}
		if err := doc.Components.Schemas["Error"].Value.VisitJSON(v); err != nil {
			t.Errorf("%s: answer %d does not match the Error schema: %v", what, res.status, err)
		}
		return
	}
	in := &openapi3filter.RequestValidationInput{Request: vr, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: credentialsPresent, MultiError: true}}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil && (res.status < 400 || res.status >= 500) {
		t.Errorf("%s: openapi.yaml refuses the request, yet the API answered %d:\n%v", what, res.status, err)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.status, Header: res.header,
		Body: io.NopCloser(bytes.NewReader(res.body)), Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		t.Errorf("%s: the answer %d is not what openapi.yaml says:\n%v\nbody: %.400s", what, res.status, err, res.body)
	}
}
