package eml

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"strings"
	"time"

	"conference/hub/mail"
)

// Letter is an .eml file read back for people: its headers decoded, its
// text and HTML parts, and its attachments.
type Letter struct {
	From, To, ReplyTo []*netmail.Address
	Subject           string
	Date              time.Time
	MessageID         string
	Text, HTML        string
	Attachments       []mail.Attachment
}

// maxParts bounds the parts read from one file.
const maxParts = 64

// Read parses an RFC 5322 message such as Dir writes.
func Read(raw []byte) (Letter, error) {
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Letter{}, fmt.Errorf("read mail: %w", err)
	}
	var l Letter
	dec := new(mime.WordDecoder)
	if l.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		l.Subject = msg.Header.Get("Subject")
	}
	l.From, _ = msg.Header.AddressList("From")
	l.To, _ = msg.Header.AddressList("To")
	l.ReplyTo, _ = msg.Header.AddressList("Reply-To")
	l.Date, _ = msg.Header.Date()
	l.MessageID = strings.Trim(msg.Header.Get("Message-Id"), "<>")
	parts := 0
	err = l.walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), "", msg.Body, &parts)
	return l, err
}

// walk reads one part, descending into multiparts.
func (l *Letter) walk(contentType, encoding, disposition string, body io.Reader, parts *int) error {
	if *parts++; *parts > maxParts {
		return fmt.Errorf("read mail: more than %d parts", maxParts)
	}
	if contentType == "" {
		contentType = "text/plain"
	}
	media, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("read mail: content type %q: %w", contentType, err)
	}
	if strings.HasPrefix(media, "multipart/") {
		r := multipart.NewReader(body, params["boundary"])
		for {
			p, err := r.NextPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("read mail: %w", err)
			}
			// NextPart decodes quoted-printable itself and drops the header.
			if err := l.walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"),
				p.Header.Get("Content-Disposition"), p, parts); err != nil {
				return err
			}
		}
	}
	if strings.EqualFold(strings.TrimSpace(encoding), "base64") {
		body = base64.NewDecoder(base64.StdEncoding, newlineStripper{body})
	}
	data, err := io.ReadAll(io.LimitReader(body, 32<<20))
	if err != nil {
		return fmt.Errorf("read mail: %w", err)
	}
	disp, dparams, _ := mime.ParseMediaType(disposition)
	switch {
	case disp != "attachment" && media == "text/plain" && l.Text == "":
		l.Text = strings.ReplaceAll(string(data), "\r\n", "\n")
	case disp != "attachment" && media == "text/html" && l.HTML == "":
		l.HTML = strings.ReplaceAll(string(data), "\r\n", "\n")
	default:
		name := dparams["filename"]
		if name == "" {
			name = params["name"]
		}
		l.Attachments = append(l.Attachments, mail.Attachment{Name: name, ContentType: media, Data: data})
	}
	return nil
}

// newlineStripper drops the line breaks of a base64 body.
type newlineStripper struct{ r io.Reader }

func (n newlineStripper) Read(p []byte) (int, error) {
	for {
		k, err := n.r.Read(p)
		j := 0
		for _, b := range p[:k] {
			if b != '\r' && b != '\n' {
				p[j] = b
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}
