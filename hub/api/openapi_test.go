package api_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"gopkg.in/yaml.v3"

	"conference/hub/api"
	"conference/hub/hubapp/hubtest"
)

// document is the part of an OpenAPI document the route check reads.
type document struct {
	OpenAPI string                            `yaml:"openapi"`
	Paths   map[string]map[string]interface{} `yaml:"paths"`
}

var httpMethods = []string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}

func TestEveryRouteIsDocumentedAndEveryDocumentedRouteExists(t *testing.T) {
	var doc document
	if err := yaml.Unmarshal(api.OpenAPI(), &doc); err != nil {
		t.Fatalf("openapi.yaml does not parse: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi = %q, want an OpenAPI 3 document", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			if slices.Contains(httpMethods, method) {
				documented[strings.ToUpper(method)+" "+path] = true
			}
		}
	}

	h := hubtest.Open(t)
	e := echo.New()
	if err := api.Register(e, h, api.Options{}); err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`:([A-Za-z]+)`)
	served := map[string]bool{}
	for _, r := range e.Routes() {
		if !strings.HasPrefix(r.Path, api.Prefix+"/") || r.Method == echo.RouteNotFound || r.Name == "api.methodNotAllowed" {
			continue
		}
		if strings.HasSuffix(r.Path, "/*") {
			continue // a group's catch-all, which answers 404
		}
		path := param.ReplaceAllString(strings.TrimPrefix(r.Path, api.Prefix), "{$1}")
		served[r.Method+" "+path] = true
	}
	for route := range served {
		if !documented[route] {
			t.Errorf("%s is served but not in openapi.yaml", route)
		}
	}
	for route := range documented {
		if !served[route] {
			t.Errorf("%s is in openapi.yaml but not served", route)
		}
	}
	if len(served) < 20 {
		t.Fatalf("only %d routes found: the check is not looking at the API", len(served))
	}
}

func TestOpenAPIDocumentIsServed(t *testing.T) {
	e := newEnv(t, api.Options{})
	res := e.must(http.StatusOK, req{method: "GET", path: "/openapi.yaml"})
	if string(res.body) != string(api.OpenAPI()) || !strings.Contains(res.header.Get("Content-Type"), "yaml") {
		t.Fatalf("served %d bytes as %q, want the embedded document as YAML", len(res.body), res.header.Get("Content-Type"))
	}
}

// Every error code the API answers with is listed in the document, which
// is the clients' reference for what to branch on.
func TestEveryErrorCodeIsDocumented(t *testing.T) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Info struct{ Description string } `yaml:"info"`
	}
	if err := yaml.Unmarshal(api.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, code := range regexp.MustCompile(`[a-z_]+`).FindAllString(doc.Info.Description, -1) {
		listed[code] = true
	}
	n := 0
	ast.Inspect(file, func(node ast.Node) bool {
		spec, ok := node.(*ast.ValueSpec)
		if !ok || len(spec.Names) != 1 || !strings.HasPrefix(spec.Names[0].Name, "Code") || len(spec.Values) != 1 {
			return true
		}
		lit, ok := spec.Values[0].(*ast.BasicLit)
		if !ok {
			return true
		}
		n++
		if code, _ := strconv.Unquote(lit.Value); !listed[code] {
			t.Errorf("%s = %s is not listed in openapi.yaml's error codes", spec.Names[0].Name, lit.Value)
		}
		return true
	})
	if n < 20 {
		t.Fatalf("found only %d codes in errors.go: the check is not looking at them", n)
	}
}

// The printed API URL answers with an index of where the document and the
// reference page are, and both are served by the hub itself.
func TestTheAPIURLAnswersWithAnIndexOfItsDocuments(t *testing.T) {
	e := newEnv(t, api.Options{})
	for _, path := range []string{"", "/"} {
		var index struct{ OpenAPI, Docs string }
		e.must(http.StatusOK, req{method: "GET", path: path}).decode(t, &index)
		if index.OpenAPI != api.Prefix+"/openapi.yaml" || index.Docs != api.Prefix+"/docs" {
			t.Fatalf("index at %q: %+v", api.Prefix+path, index)
		}
	}
	page := e.must(http.StatusOK, req{method: "GET", path: "/docs", header: map[string]string{"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}})
	if !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") {
		t.Fatalf("reference page served as %q", page.header.Get("Content-Type"))
	}
	// Every operation has its section, and nothing is fetched from
	// elsewhere (no src or stylesheet link at all).
	doc, _ := loadSpec(t)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if !strings.Contains(string(page.body), `id="op-`+op.OperationID+`"`) {
				t.Errorf("%s %s (%s) has no section on the reference page", method, path, op.OperationID)
			}
		}
	}
	if regexp.MustCompile(`(?i)<(script|img|link|iframe)\b`).Match(page.body) {
		t.Error("the reference page loads resources; it is meant to be one self-contained page")
	}
	e.must(http.StatusNotAcceptable, req{method: "GET", path: "/docs", header: map[string]string{"Accept": "application/json"}})
}
