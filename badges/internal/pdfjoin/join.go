// Package pdfjoin writes one PDF from a sequence of small PDFs ("chunks")
// as they come, so a document of any length is written in the memory of
// one chunk plus one file offset per object.
//
// It reads only what gofpdf writes: objects "N 0 obj ... endobj" in a row,
// streams with a direct /Length, an xref table, a trailer naming the
// catalog and info dictionary, and a flat page tree (one Pages root with a
// /MediaBox, every page its direct kid). Each chunk's objects are
// renumbered past those already written and copied, stream bytes
// unchanged; its catalog, Pages root and info dictionary are dropped and
// its pages are pointed at one shared Pages root written by Close. A chunk
// that does not parse is refused whole with an error wrapping ErrMalformed.
package pdfjoin

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf16"
)

var (
	// ErrMalformed means a chunk is not a PDF of the shape pdfjoin reads.
	ErrMalformed = errors.New("malformed PDF chunk")
	// ErrPageSize means a chunk's pages differ in size from the first
	// chunk's: the shared Pages root holds one /MediaBox.
	ErrPageSize = errors.New("chunk page size differs from the first chunk")
	// ErrNoPages means Close was called before any chunk was added.
	ErrNoPages = errors.New("no pages to write")
	// ErrClosed means the Joiner was closed or failed before.
	ErrClosed = errors.New("joiner closed or failed")
)

// Object numbers the Joiner reserves for what Close writes.
const (
	pagesObj   = 1
	catalogObj = 2
	infoObj    = 3
	firstFree  = 4
)

// Info is the document information dictionary Close writes.
type Info struct {
	Title, Creator, Producer string
}

// Joiner writes chunks to w as one PDF. It is not safe for concurrent use.
type Joiner struct {
	w        *bufio.Writer
	n        int64   // bytes written so far
	offsets  []int64 // by object number; 0 for reserved numbers
	kids     []int   // page object numbers, in order
	mediaBox []byte
	done     bool
	err      error
}

// New returns a Joiner writing to w. Nothing is written until the first
// chunk is added.
func New(w io.Writer) *Joiner {
	return &Joiner{w: bufio.NewWriterSize(w, 64<<10), offsets: make([]int64, firstFree)}
}

// Pages returns the number of pages added so far.
func (j *Joiner) Pages() int { return len(j.kids) }

// Add appends the pages of the PDF chunk. A malformed chunk is refused
// before any of it is written; after a write error the Joiner refuses
// everything and what was written is not a usable PDF.
func (j *Joiner) Add(pdf []byte) error {
	if j.done || j.err != nil {
		return ErrClosed
	}
	c, err := parseChunk(pdf)
	if err != nil {
		return err
	}
	if j.mediaBox == nil {
		j.mediaBox = append([]byte(nil), c.mediaBox...)
	} else if string(c.mediaBox) != string(j.mediaBox) {
		return fmt.Errorf("%w: %s, not %s", ErrPageSize, c.mediaBox, j.mediaBox)
	}
	if j.mediaBox == nil {
		return fmt.Errorf("%w: Pages root without a /MediaBox", ErrMalformed)
	}
	renum := map[int]int{c.root: pagesObj}
	next := len(j.offsets)
	for _, o := range c.objects {
		if o.num == c.root || o.num == c.catalog || o.num == c.info {
			continue
		}
		renum[o.num] = next
		next++
	}
	for _, o := range c.objects {
		if _, kept := renum[o.num]; !kept || o.num == c.root {
			continue
		}
		if err := c.checkRefs(o, renum); err != nil {
			return err
		}
	}
	if j.n == 0 {
		j.write(c.header)
		j.write([]byte("\n%\xe2\xe3\xcf\xd3\n"))
	}
	for _, o := range c.objects {
		if _, kept := renum[o.num]; !kept || o.num == c.root {
			continue
		}
		j.writeObject(c, o, renum)
	}
	for _, k := range c.kids {
		j.kids = append(j.kids, renum[k])
	}
	return j.err
}

// checkRefs makes sure every reference in o resolves to a kept object.
func (c *chunk) checkRefs(o object, renum map[int]int) error {
	l := c.lex
	for i := 0; i+2 < len(o.body); i++ {
		if isRef(l, o.body[i:]) {
			if _, ok := renum[l.int(o.body[i])]; !ok {
				return l.errorf("object %d refers to %s, which is missing or dropped", o.num, l.text(o.body[i]))
			}
			i += 2
		}
	}
	return nil
}

func isRef(l *lexer, t []token) bool {
	return t[0].kind == tInt && t[1].kind == tInt && t[2].kind == tKeyword && l.text(t[2]) == "R"
}

// writeObject copies o under its new number, rewriting references and
// leaving everything else, the stream above all, byte for byte.
func (j *Joiner) writeObject(c *chunk, o object, renum map[int]int) {
	l := c.lex
	num := renum[o.num]
	j.offsets = append(j.offsets, j.n)
	if len(j.offsets)-1 != num {
		j.err = fmt.Errorf("pdfjoin: object %d written as %d", num, len(j.offsets)-1)
		return
	}
	j.writeString(strconv.Itoa(num) + " 0 obj\n")
	if len(o.body) > 0 {
		from := o.body[0].start
		for i := 0; i < len(o.body); i++ {
			if i+2 < len(o.body) && isRef(l, o.body[i:]) {
				j.write(l.b[from:o.body[i].start])
				j.writeString(strconv.Itoa(renum[l.int(o.body[i])]) + " 0 R")
				i += 2
				from = o.body[i].end
			}
		}
		j.write(l.b[from:o.body[len(o.body)-1].end])
	}
	if o.stream != nil {
		j.writeString("\nstream\n")
		j.write(o.stream)
		j.writeString("\nendstream")
	}
	j.writeString("\nendobj\n")
}

func (j *Joiner) write(b []byte) {
	if j.err != nil {
		return
	}
	n, err := j.w.Write(b)
	j.n += int64(n)
	if err != nil {
		j.err = fmt.Errorf("write PDF: %w", err)
	}
}

func (j *Joiner) writeString(s string) { j.write([]byte(s)) }

// Close writes the shared Pages root, the catalog, info, the xref table
// and the trailer, and flushes. It does not close the underlying writer.
func (j *Joiner) Close(info Info) error {
	if j.done || j.err != nil {
		return ErrClosed
	}
	j.done = true
	if len(j.kids) == 0 {
		return ErrNoPages
	}
	j.offsets[pagesObj] = j.n
	j.writeString("1 0 obj\n<</Type /Pages\n/Kids [")
	buf := make([]byte, 0, 16)
	for _, k := range j.kids {
		buf = strconv.AppendInt(buf[:0], int64(k), 10)
		j.write(append(buf, " 0 R "...))
	}
	j.writeString("]\n/Count " + strconv.Itoa(len(j.kids)) + "\n/MediaBox ")
	j.write(j.mediaBox)
	j.writeString("\n>>\nendobj\n")
	j.offsets[catalogObj] = j.n
	j.writeString("2 0 obj\n<</Type /Catalog /Pages 1 0 R>>\nendobj\n")
	j.offsets[infoObj] = j.n
	j.writeString("3 0 obj\n<<")
	for _, e := range []struct{ key, val string }{{"Title", info.Title}, {"Creator", info.Creator}, {"Producer", info.Producer}} {
		if e.val != "" {
			j.writeString("/" + e.key + " " + textString(e.val) + "\n")
		}
	}
	j.writeString(">>\nendobj\n")
	xref := j.n
	j.writeString("xref\n0 " + strconv.Itoa(len(j.offsets)) + "\n0000000000 65535 f \n")
	for _, off := range j.offsets[1:] {
		j.writeString(fmt.Sprintf("%010d 00000 n \n", off))
	}
	j.writeString(fmt.Sprintf("trailer\n<</Size %d /Root 2 0 R /Info 3 0 R>>\nstartxref\n%d\n%%%%EOF\n", len(j.offsets), xref))
	if j.err != nil {
		return j.err
	}
	if err := j.w.Flush(); err != nil {
		return fmt.Errorf("write PDF: %w", err)
	}
	return nil
}

// textString encodes s as a PDF text string: UTF-16BE with a byte order
// mark, in hex so nothing needs escaping.
func textString(s string) string {
	b := []byte("<FEFF")
	for _, u := range utf16.Encode([]rune(s)) {
		b = fmt.Appendf(b, "%04X", u)
	}
	return string(append(b, '>'))
}
