package web

import (
	"errors"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/hub/mail"
	"conference/hub/mail/eml"
)

// The conference's mail page lists every mail the hub was asked to send
// about the conference (confirmations, notices, waitlist offers), where it
// went, and the dead letters: mails the bus gave up on, which the
// organizer sends again once the mail server is back. Mails written to
// .eml files (no SMTP server configured, as in `make run`) open here.

// mailKinds names each kind of mail for people.
var mailKinds = map[mail.Kind]string{
	mail.OrderConfirmed:  "Order confirmation",
	mail.OrderCancelled:  "Cancellation notice",
	mail.PaymentRefunded: "Refund notice",
	mail.WaitlistOffer:   "Waitlist offer",
	mail.PasswordReset:   "Password reset",
}

// mailListLimit bounds the mails the page lists.
const mailListLimit = 500

type mailRow struct {
	mail.Record
	Label string
}

func (s *site) mailList(c echo.Context) error {
	conf := conferenceOf(c)
	list, err := s.hub.Mail.Letters(c.Request().Context(), conf.ID, mailListLimit)
	if err != nil {
		return err
	}
	rows := make([]mailRow, 0, len(list))
	dead := 0
	for _, r := range list {
		rows = append(rows, mailRow{Record: r, Label: mailKinds[r.Kind]})
		if r.Dead {
			dead++
		}
	}
	return s.render(c, http.StatusOK, "org_mail", view{Title: "Mail · " + conf.Name, Section: "mail", Conference: conf,
		Data: struct {
			Rows []mailRow
			Dead int
		}{rows, dead}})
}

// letterOf reads the mail named in the URL, of the conference in it.
func (s *site) letterOf(c echo.Context) (mail.Record, []byte, error) {
	id, err := uuid.Parse(c.Param("mid"))
	if err != nil {
		return mail.Record{}, nil, mail.ErrNotFound
	}
	r, raw, err := s.hub.Mail.Copy(c.Request().Context(), conferenceOf(c).ID, id)
	if errors.Is(err, mail.ErrNotArchived) {
		return r, nil, nil
	}
	return r, raw, err
}

func (s *site) mailView(c echo.Context) error {
	conf := conferenceOf(c)
	r, raw, err := s.letterOf(c)
	if errors.Is(err, mail.ErrNotFound) {
		return s.notFound(c)
	}
	if err != nil {
		return err
	}
	page := struct {
		Record mail.Record
		Label  string
		Letter *eml.Letter
	}{Record: r, Label: mailKinds[r.Kind]}
	if raw != nil {
		l, err := eml.Read(raw)
		if err != nil {
			return err
		}
		page.Letter = &l
	}
	return s.render(c, http.StatusOK, "org_mail_view", view{Title: r.Subject + " · Mail", Section: "mail", Conference: conf, Data: page})
}

// mailFile downloads the .eml, to open in a mail program.
func (s *site) mailFile(c echo.Context) error {
	r, raw, ok, err := s.archived(c)
	if !ok {
		return err
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+r.File+`"`)
	return c.Blob(http.StatusOK, "message/rfc822", raw)
}

// mailHTML shows the HTML part on its own, sandboxed: nothing in it runs,
// loads or submits.
func (s *site) mailHTML(c echo.Context) error {
	_, raw, ok, err := s.archived(c)
	if !ok {
		return err
	}
	l, err := eml.Read(raw)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:")
	return c.HTMLBlob(http.StatusOK, []byte(l.HTML))
}

// archived is letterOf for pages that need the file: ok is false when the
// answer is given already (not found, or an error to return).
func (s *site) archived(c echo.Context) (mail.Record, []byte, bool, error) {
	r, raw, err := s.letterOf(c)
	if errors.Is(err, mail.ErrNotFound) || (err == nil && raw == nil) {
		return r, nil, false, s.notFound(c)
	}
	return r, raw, err == nil, err
}

func (s *site) resendMail(c echo.Context) error {
	conf := conferenceOf(c)
	id, err := uuid.Parse(c.Param("mid"))
	if err != nil {
		return s.notFound(c)
	}
	err = s.hub.Mail.Resend(c.Request().Context(), conf.ID, id)
	switch {
	case errors.Is(err, mail.ErrNotFound):
		return s.notFound(c)
	case errors.Is(err, mail.ErrNotDead):
		s.flash.Set(c, "This mail is not waiting to be sent again: it was sent, or is being retried already.")
	case err != nil:
		return err
	default:
		s.flash.Set(c, "The mail is on its way again: it shows as sent here once the mail server takes it.")
	}
	return redirect(c, confURL(conf.ID, "/mail"))
}
