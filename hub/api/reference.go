package api

import (
	"bytes"
	_ "embed"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
)

// The API's own documents: the index at /api/v1 (what `make run` prints),
// the OpenAPI document, and a reference page for people rendered from it
// here, with its style inline: nothing is fetched from outside the hub,
// so it reads the same on a venue network with no internet.

// indexJSON is GET /api/v1.
type indexJSON struct {
	Name            string `json:"name"`
	Version         string `json:"version"`
	OpenAPI         string `json:"openapi"`
	Docs            string `json:"docs"`
	OrganizerTokens string `json:"organizer_tokens"`
}

func (a *api) handleIndex(c echo.Context) error {
	if err := accepts(c, echo.MIMEApplicationJSON); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, indexJSON{
		Name: reference.Title, Version: reference.Version, OpenAPI: Prefix + "/openapi.yaml", Docs: Prefix + "/docs",
		OrganizerTokens: "/org/tokens",
	})
}

func (a *api) handleReference(c echo.Context) error {
	if err := accepts(c, echo.MIMETextHTML); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=300")
	return c.HTMLBlob(http.StatusOK, referencePage)
}

// accepts refuses a request whose Accept header rules out mediaType
// (absent, it accepts anything).
func accepts(c echo.Context, mediaType string) error {
	header := c.Request().Header.Get(echo.HeaderAccept)
	if header == "" {
		return nil
	}
	major, _, _ := strings.Cut(mediaType, "/")
	for _, r := range strings.Split(header, ",") {
		r, params, _ := strings.Cut(strings.TrimSpace(r), ";")
		if q := strings.ReplaceAll(params, " ", ""); strings.HasPrefix(q, "q=0") && strings.Trim(q[3:], ".0") == "" {
			continue // q=0: explicitly not acceptable
		}
		if r == "*/*" || r == major+"/*" || strings.EqualFold(r, mediaType) {
			return nil
		}
	}
	return apiErr(http.StatusNotAcceptable, CodeNotAcceptable, "", "this endpoint answers %s only", mediaType)
}

//go:embed reference.html
var referenceTemplate string

// reference is the OpenAPI document as the reference page shows it, and
// referencePage the page, both made once from the embedded document.
var reference, referencePage = mustReference()

// refPage is what the reference template draws.
type refPage struct {
	Title, Version string
	Intro          template.HTML
	Schemes        []refScheme
	Groups         []refGroup
	Schemas        []refSchema
}

type refScheme struct {
	Name, Kind  string
	Description template.HTML
}

type refGroup struct {
	Tag         string
	Description template.HTML
	Ops         []refOp
}

type refOp struct {
	ID, Method, Path, Summary string
	Description               template.HTML
	Security                  string
	Params                    []refParam
	Body                      template.HTML
	BodyRequired              bool
	Responses                 []refResponse
}

type refParam struct {
	Name, In    string
	Description template.HTML
	Required    bool
	Type        template.HTML
}

type refResponse struct {
	Status      string
	Description template.HTML
	Type        template.HTML
}

type refSchema struct {
	Name        string
	Description template.HTML
	Body        template.HTML
}

func mustReference() (refPage, []byte) {
	doc, err := openapi3.NewLoader().LoadFromData(openAPI)
	if err != nil {
		panic(fmt.Sprintf("api: openapi.yaml does not load: %v", err)) // caught by every test of the package
	}
	p := refPage{Title: doc.Info.Title, Version: doc.Info.Version, Intro: prose(doc.Info.Description)}
	for _, name := range sortedKeys(doc.Components.SecuritySchemes) {
		s := doc.Components.SecuritySchemes[name].Value
		kind := "HTTP " + s.Scheme
		if s.Type == "apiKey" {
			kind = "header " + s.Name
		}
		p.Schemes = append(p.Schemes, refScheme{Name: name, Kind: kind, Description: inline(s.Description)})
	}
	groups := map[string]*refGroup{}
	for _, t := range doc.Tags {
		p.Groups = append(p.Groups, refGroup{Tag: t.Name, Description: inline(t.Description)})
	}
	for i := range p.Groups {
		groups[p.Groups[i].Tag] = &p.Groups[i]
	}
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
			op := item.GetOperation(method)
			if op == nil || len(op.Tags) == 0 || groups[op.Tags[0]] == nil {
				continue
			}
			g := groups[op.Tags[0]]
			g.Ops = append(g.Ops, refOperation(method, path, op))
		}
	}
	for _, g := range p.Groups {
		slices.SortStableFunc(g.Ops, func(a, b refOp) int { return strings.Compare(a.Path, b.Path) })
	}
	for _, name := range sortedKeys(doc.Components.Schemas) {
		s := doc.Components.Schemas[name]
		p.Schemas = append(p.Schemas, refSchema{Name: name, Description: prose(s.Value.Description), Body: schemaHTML(s.Value)})
	}
	t := template.Must(template.New("reference").Parse(referenceTemplate))
	var buf bytes.Buffer
	if err := t.Execute(&buf, p); err != nil {
		panic(fmt.Sprintf("api: reference page: %v", err))
	}
	return p, buf.Bytes()
}

func refOperation(method, path string, op *openapi3.Operation) refOp {
	o := refOp{ID: op.OperationID, Method: method, Path: path, Summary: op.Summary, Description: prose(op.Description), Security: "none"}
	if op.Security != nil {
		var names []string
		for _, req := range *op.Security {
			names = append(names, sortedKeys(req)...)
		}
		if len(names) > 0 {
			o.Security = strings.Join(names, " or ")
		}
	}
	for _, pr := range op.Parameters {
		v := pr.Value
		o.Params = append(o.Params, refParam{Name: v.Name, In: v.In, Description: inline(v.Description), Required: v.Required, Type: typeHTML(v.Schema)})
	}
	if op.RequestBody != nil {
		body := op.RequestBody.Value
		if mt := body.Content.Get(echo.MIMEApplicationJSON); mt != nil {
			o.Body, o.BodyRequired = typeHTML(mt.Schema), body.Required
		}
	}
	for _, status := range sortedKeys(op.Responses.Map()) {
		r := op.Responses.Value(status).Value
		out := refResponse{Status: status, Description: inline(deref(r.Description))}
		for _, mt := range r.Content {
			out.Type = typeHTML(mt.Schema)
		}
		o.Responses = append(o.Responses, out)
	}
	return o
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// typeHTML draws a schema where it is used: a link to a named schema,
// or the inline schema in full.
func typeHTML(ref *openapi3.SchemaRef) template.HTML {
	summary, children := schemaParts(ref)
	return template.HTML(summary + children)
}

func schemaHTML(s *openapi3.Schema) template.HTML {
	return typeHTML(&openapi3.SchemaRef{Value: s})
}

// schemaParts draws a schema as a one-line summary (its type with format,
// bounds and enum, or a link to a named schema) and, for an object drawn
// inline, its properties as a nested list.
func schemaParts(ref *openapi3.SchemaRef) (summary, children string) {
	if ref == nil {
		return "", ""
	}
	if name, ok := strings.CutPrefix(ref.Ref, "#/components/schemas/"); ok {
		return `<a href="#schema-` + html.EscapeString(name) + `">` + html.EscapeString(name) + `</a>`, ""
	}
	s := ref.Value
	var b strings.Builder
	switch {
	case len(s.AllOf) == 1:
		sum, ch := schemaParts(s.AllOf[0])
		b.WriteString(sum)
		children = ch
	case len(s.AllOf) > 1:
		var sums []string
		for _, part := range s.AllOf {
			sum, ch := schemaParts(part)
			sums = append(sums, sum)
			children += ch
		}
		b.WriteString(strings.Join(sums, " with "))
	case s.Type.Is("array"):
		sum, ch := schemaParts(s.Items)
		b.WriteString("array of " + sum)
		children = ch
	default:
		b.WriteString(`<span class="type">` + html.EscapeString(strings.Join(s.Type.Slice(), ", ")))
		if s.Format != "" {
			b.WriteString(" (" + html.EscapeString(s.Format) + ")")
		}
		b.WriteString("</span>")
		children = propertiesHTML(s)
	}
	if s.Nullable {
		b.WriteString(` <span class="null">or null</span>`)
	}
	if len(s.Enum) > 0 {
		var vals []string
		for _, e := range s.Enum {
			vals = append(vals, "<code>"+html.EscapeString(fmt.Sprint(e))+"</code>")
		}
		b.WriteString(" one of " + strings.Join(vals, ", "))
	}
	if s.Min != nil || s.Max != nil || s.MaxLength != nil {
		b.WriteString(` <span class="bounds">` + html.EscapeString(bounds(s)) + `</span>`)
	}
	return b.String(), children
}

// propertiesHTML lists an object's properties: name, whether required,
// type, description, and the properties of an inline object below.
func propertiesHTML(s *openapi3.Schema) string {
	if len(s.Properties) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(`<ul class="props">`)
	for _, name := range sortedKeys(s.Properties) {
		prop := s.Properties[name]
		b.WriteString(`<li><code>` + html.EscapeString(name) + `</code>`)
		if slices.Contains(s.Required, name) {
			b.WriteString(` <span class="req">required</span>`)
		}
		summary, children := schemaParts(prop)
		b.WriteString(" " + summary)
		if prop.Ref == "" && prop.Value.Description != "" {
			b.WriteString(`<div class="descr">` + string(inline(prop.Value.Description)) + `</div>`)
		}
		b.WriteString(children + "</li>")
	}
	if s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has {
		b.WriteString(`<li class="hint">no other fields</li>`)
	}
	b.WriteString("</ul>")
	return b.String()
}

func bounds(s *openapi3.Schema) string {
	var parts []string
	if s.Min != nil {
		parts = append(parts, "≥ "+strconv.FormatFloat(*s.Min, 'f', -1, 64))
	}
	if s.Max != nil {
		parts = append(parts, "≤ "+strconv.FormatFloat(*s.Max, 'f', -1, 64))
	}
	if s.MaxLength != nil {
		parts = append(parts, fmt.Sprintf("at most %d characters", *s.MaxLength))
	}
	return strings.Join(parts, ", ")
}

var (
	codeSpan = regexp.MustCompile("`([^`]+)`")
	strong   = regexp.MustCompile(`\*\*([^*]+)\*\*`)
	emphasis = regexp.MustCompile(`\*([^*\s][^*]*)\*`)
)

// inline draws a description's text: `code`, **bold** and *emphasis*;
// everything else is escaped text.
func inline(text string) template.HTML {
	t := html.EscapeString(strings.TrimSpace(text))
	t = codeSpan.ReplaceAllString(t, "<code>$1</code>")
	t = strong.ReplaceAllString(t, "<strong>$1</strong>")
	t = emphasis.ReplaceAllString(t, "<em>$1</em>")
	return template.HTML(t)
}

// prose draws a longer description: inline text in paragraphs split at
// blank lines.
func prose(text string) template.HTML {
	var b strings.Builder
	for _, para := range strings.Split(strings.TrimSpace(text), "\n\n") {
		if strings.TrimSpace(para) != "" {
			b.WriteString("<p>" + string(inline(para)) + "</p>")
		}
	}
	return template.HTML(b.String())
}
