package webui

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

// ErrNoPage: Render was asked for a page that was not loaded.
var ErrNoPage = errors.New("no such page")

// Pages holds one template set per page: the layout and partials (files
// whose names start with "_") and the page's own templates, so pages can
// each define "content" without clashing.
type Pages struct {
	partials *template.Template
	pages    map[string]*template.Template
}

// LoadPages parses dir/_*.html as the layout and partials, then every
// other dir/*.html as a page named by its file name without ".html".
func LoadPages(files fs.FS, dir string, funcs template.FuncMap) (*Pages, error) {
	partials, err := template.New("").Funcs(funcs).ParseFS(files, path.Join(dir, "_*.html"))
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	names, err := fs.Glob(files, path.Join(dir, "*.html"))
	if err != nil {
		return nil, err
	}
	p := &Pages{partials: partials, pages: map[string]*template.Template{}}
	for _, name := range names {
		base := path.Base(name)
		if strings.HasPrefix(base, "_") {
			continue
		}
		t, err := partials.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := t.ParseFS(files, name); err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		p.pages[strings.TrimSuffix(base, ".html")] = t
	}
	return p, nil
}

// Render draws page's "layout" with data into a buffer first, so a
// template error is an error, with nothing sent, rather than half a page.
// Pages are not cached: they show live state.
func (p *Pages) Render(c echo.Context, status int, page string, data any) error {
	t, ok := p.pages[page]
	if !ok {
		return fmt.Errorf("render %q: %w", page, ErrNoPage)
	}
	if err := write(c, status, t, "layout", data); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	return nil
}

// RenderPartial draws one template of the layout and partials alone (a
// fragment a page refreshes), like Render.
func (p *Pages) RenderPartial(c echo.Context, status int, name string, data any) error {
	if err := write(c, status, p.partials, name, data); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	return nil
}

func write(c echo.Context, status int, t *template.Template, name string, data any) error {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, buf.Bytes())
}
