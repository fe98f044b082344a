// Package badges renders attendee badges to PDF and sends them to a printer.
//
// The kiosk renders one badge the moment an attendee arrives (RenderOne);
// the hub renders whole attendee lists in advance (Render), on a label
// printer size or on A4 and Letter sheets with cut marks (see Layouts). A
// badge shows the conference name, the attendee's name, company and role,
// the seat types held, a QR code carrying the signed token of package
// badges/token, and optionally a Code128 of the order access code.
//
// Names print in the scripts a big conference meets, each from an embedded
// font made for it (internal/fonts): Latin with diacritics, Greek,
// Cyrillic, Hebrew, Arabic and Persian, Hangul, kana and CJK. gofpdf draws
// one glyph per character, left to right, so right-to-left text is laid
// out here: Arabic letters are joined into their contextual presentation
// forms (internal/arabic) and every line is put in visual order by the
// Unicode Bidirectional Algorithm (internal/visual), so that a name mixing
// Latin, Arabic and digits reads as it should.
//
// Everything is checked before anything is drawn: bad input yields a
// *BadgeError (or an error wrapping ErrUnknownLayout or ErrInvalidColour)
// and writes nothing. A character that cannot print is refused with
// ErrUnsupportedCharacter, naming its script (Tibetan, Ethiopic, ...), never
// printed as a box: a badge with a garbled name is worse than none.
//
// Printing goes to a CUPS queue through the Printer interface
// (CUPSPrinter runs lp -d QUEUE); with no queue configured the caller serves
// the PDF (ContentType) for the browser to print.
//
// Fonts are embedded (internal/fonts); tokens are signed and verified in
// badges/token. The package imports no HTTP or SQL.
package badges
