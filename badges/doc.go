// Package badges renders attendee badges to PDF and sends them to a printer.
//
// The kiosk renders one badge the moment an attendee arrives (RenderOne);
// the hub renders whole attendee lists in advance (Render), on a label
// printer size or on A4 and Letter sheets with cut marks (see Layouts). A
// badge shows the conference name, the attendee's name in any script the
// embedded fonts cover (Latin with diacritics, Greek, Cyrillic, CJK),
// company and role, the seat types held, a QR code carrying the signed token
// of package badges/token, and optionally a Code128 of the order access code.
//
// Everything is checked before anything is drawn: bad input yields a
// *BadgeError (or an error wrapping ErrUnknownLayout or ErrInvalidColour)
// and writes nothing. Right-to-left scripts (Arabic, Hebrew) are refused
// with ErrRightToLeft: gofpdf neither reorders nor shapes them, and a badge
// with a garbled name is worse than none.
//
// Printing goes to a CUPS queue through the Printer interface
// (CUPSPrinter runs lp -d QUEUE); with no queue configured the caller serves
// the PDF (ContentType) for the browser to print.
//
// Fonts are embedded (internal/fonts); tokens are signed and verified in
// badges/token. The package imports no HTTP or SQL.
package badges
