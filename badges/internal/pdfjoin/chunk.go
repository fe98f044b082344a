package pdfjoin

import (
	"bytes"
	"slices"
)

// object is one "N 0 obj ... endobj" of a chunk.
type object struct {
	num    int
	body   []token // between "obj" and "stream" or "endobj"
	stream []byte  // the stream's bytes, nil without one
}

// chunk is a parsed PDF as gofpdf writes it: objects in a row, then an
// xref table and a trailer naming the catalog and the info dictionary.
type chunk struct {
	lex      *lexer
	header   []byte // "%PDF-1.3"
	objects  []object
	byNum    map[int]int // object number -> index in objects
	catalog  int
	info     int // 0 without one
	root     int // the Pages root
	kids     []int
	mediaBox []byte // the root's /MediaBox array, nil without one
}

func parseChunk(b []byte) (*chunk, error) {
	l := &lexer{b: b}
	if !bytes.HasPrefix(b, []byte("%PDF-")) {
		return nil, l.errorf("no %%PDF- header")
	}
	eol := bytes.IndexAny(b, "\r\n")
	if eol < 0 {
		return nil, l.errorf("no end of the header line")
	}
	c := &chunk{lex: l, header: b[:eol], byNum: map[int]int{}}
	l.pos = eol
	for {
		t, ok, err := l.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, l.errorf("no xref table")
		}
		if t.kind == tKeyword && l.text(t) == "xref" {
			break
		}
		o, err := c.parseObject(t)
		if err != nil {
			return nil, err
		}
		if _, dup := c.byNum[o.num]; dup {
			return nil, l.errorf("object %d defined twice", o.num)
		}
		c.byNum[o.num] = len(c.objects)
		c.objects = append(c.objects, o)
	}
	if err := c.parseTrailer(); err != nil {
		return nil, err
	}
	return c, c.parsePageTree()
}

// parseObject reads "N 0 obj ... endobj", num being its first token.
func (c *chunk) parseObject(num token) (object, error) {
	l := c.lex
	gen, _, err := l.next()
	if err != nil {
		return object{}, err
	}
	kw, _, err := l.next()
	if err != nil {
		return object{}, err
	}
	if num.kind != tInt || gen.kind != tInt || l.text(gen) != "0" || kw.kind != tKeyword || l.text(kw) != "obj" {
		return object{}, l.errorf("want \"N 0 obj\"")
	}
	o := object{num: l.int(num)}
	depth := 0
	for {
		t, ok, err := l.next()
		if err != nil {
			return object{}, err
		}
		if !ok {
			return object{}, l.errorf("object %d has no endobj", o.num)
		}
		switch t.kind {
		case tOpen:
			depth++
		case tClose:
			depth--
			if depth < 0 {
				return object{}, l.errorf("object %d: unbalanced %q", o.num, l.text(t))
			}
		}
		if t.kind != tKeyword || depth != 0 {
			o.body = append(o.body, t)
			continue
		}
		switch l.text(t) {
		case "endobj":
			return o, nil
		case "stream":
			if err := c.readStream(&o); err != nil {
				return object{}, err
			}
			return o, nil
		case "obj", "endstream", "xref", "trailer":
			return object{}, l.errorf("object %d: unexpected %q", o.num, l.text(t))
		}
		o.body = append(o.body, t)
	}
}

// readStream skips the stream body by its /Length, which gofpdf writes as
// a direct integer; the stream's bytes are never looked into.
func (c *chunk) readStream(o *object) error {
	l := c.lex
	n := -1
	for i, t := range o.body {
		if t.kind == tName && l.text(t) == "/Length" && i+1 < len(o.body) && o.body[i+1].kind == tInt {
			if i+3 < len(o.body) && o.body[i+3].kind == tKeyword && l.text(o.body[i+3]) == "R" {
				return l.errorf("object %d: indirect stream /Length is not supported", o.num)
			}
			n = l.int(o.body[i+1])
		}
	}
	if n < 0 {
		return l.errorf("object %d: stream without a /Length", o.num)
	}
	switch {
	case bytes.HasPrefix(l.b[l.pos:], []byte("\r\n")):
		l.pos += 2
	case bytes.HasPrefix(l.b[l.pos:], []byte("\n")):
		l.pos++
	default:
		return l.errorf("object %d: no end of line after \"stream\"", o.num)
	}
	if n > len(l.b)-l.pos {
		return l.errorf("object %d: stream /Length %d runs past the end", o.num, n)
	}
	o.stream = l.b[l.pos : l.pos+n]
	l.pos += n
	for _, want := range []string{"endstream", "endobj"} {
		t, ok, err := l.next()
		if err != nil {
			return err
		}
		if !ok || t.kind != tKeyword || l.text(t) != want {
			return l.errorf("object %d: want %q after the stream (wrong /Length?)", o.num, want)
		}
	}
	return nil
}

// parseTrailer finds the catalog and info objects named by the trailer.
func (c *chunk) parseTrailer() error {
	l := c.lex
	i := bytes.Index(l.b[l.pos:], []byte("trailer"))
	if i < 0 {
		return l.errorf("no trailer")
	}
	l.pos += i + len("trailer")
	var toks []token
	depth := 0
	for {
		t, ok, err := l.next()
		if err != nil {
			return err
		}
		if !ok {
			return l.errorf("unterminated trailer")
		}
		toks = append(toks, t)
		if t.kind == tOpen {
			depth++
		} else if t.kind == tClose {
			depth--
		}
		if depth <= 0 {
			break
		}
	}
	c.catalog = c.ref(toks, "/Root")
	c.info = c.ref(toks, "/Info")
	if _, ok := c.byNum[c.catalog]; !ok {
		return l.errorf("trailer names no catalog object")
	}
	return nil
}

// ref returns the object number that key refers to in toks, or 0.
func (c *chunk) ref(toks []token, key string) int {
	l := c.lex
	for i, t := range toks {
		if t.kind == tName && l.text(t) == key && i+3 < len(toks) &&
			toks[i+1].kind == tInt && toks[i+2].kind == tInt &&
			toks[i+3].kind == tKeyword && l.text(toks[i+3]) == "R" {
			return l.int(toks[i+1])
		}
	}
	return 0
}

func (c *chunk) object(num int) (object, bool) {
	i, ok := c.byNum[num]
	if !ok {
		return object{}, false
	}
	return c.objects[i], true
}

// parsePageTree reads the flat page tree gofpdf writes: one Pages root
// with the pages as its kids and the page size as the root's /MediaBox.
func (c *chunk) parsePageTree() error {
	l := c.lex
	cat, _ := c.object(c.catalog)
	c.root = c.ref(cat.body, "/Pages")
	root, ok := c.object(c.root)
	if !ok {
		return l.errorf("catalog names no Pages object")
	}
	count := -1
	for i := 0; i < len(root.body); i++ {
		t := root.body[i]
		if t.kind != tName || i+1 >= len(root.body) {
			continue
		}
		switch key := l.text(t); key {
		case "/Type", "/Count":
			if key == "/Count" && root.body[i+1].kind == tInt {
				count = l.int(root.body[i+1])
			}
			i++
		case "/Kids", "/MediaBox":
			end := i + 2
			for end < len(root.body) && root.body[end].kind != tClose {
				end++
			}
			if root.body[i+1].kind != tOpen || end >= len(root.body) {
				return l.errorf("Pages object %d: %s is not an array", c.root, key)
			}
			if key == "/MediaBox" {
				c.mediaBox = l.b[root.body[i+1].start:root.body[end].end]
			} else {
				for j := i + 2; j+2 < end; j += 3 {
					if root.body[j].kind != tInt || l.text(root.body[j+2]) != "R" {
						return l.errorf("Pages object %d: /Kids holds a non-reference", c.root)
					}
					c.kids = append(c.kids, l.int(root.body[j]))
				}
				if (end-i-2)%3 != 0 {
					return l.errorf("Pages object %d: /Kids holds a non-reference", c.root)
				}
			}
			i = end
		default:
			// Other inheritable attributes would be lost when pages move
			// under the shared root; gofpdf writes none.
			return l.errorf("Pages object %d: unsupported key %s", c.root, key)
		}
	}
	if count != len(c.kids) || count == 0 {
		return l.errorf("Pages object %d: /Count %d for %d kids", c.root, count, len(c.kids))
	}
	for _, k := range c.kids {
		kid, ok := c.object(k)
		if !ok || !slices.ContainsFunc(kid.body, func(t token) bool { return l.text(t) == "/Page" }) {
			return l.errorf("page %d is missing or not a /Page", k)
		}
		if c.ref(kid.body, "/Parent") != c.root {
			return l.errorf("page %d is not a kid of the Pages root", k)
		}
	}
	return nil
}
