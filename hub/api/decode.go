package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// maxBodyBytes bounds every request body: the largest legitimate one (a
// conference description of 20,000 characters) fits many times over.
const maxBodyBytes = 256 << 10

// decodeJSON reads the request body as exactly one JSON object into v,
// refusing unknown fields, trailing data and oversized bodies.
func decodeJSON(c echo.Context, v any) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	return decodeBody(body, v)
}

// noBody refuses a body on endpoints that take none, so a client that
// thinks it is sending options learns it is not. An empty object is fine.
func noBody(c echo.Context) error {
	var none struct{}
	return decodeOptional(c, &none)
}

// decodeOptional is decodeJSON for endpoints whose body may be left out.
func decodeOptional(c echo.Context, v any) error {
	body, err := readBody(c)
	if err != nil || len(bytes.TrimSpace(body)) == 0 {
		return err
	}
	return decodeBody(body, v)
}

func readBody(c echo.Context) ([]byte, error) {
	req := c.Request()
	if ct := req.Header.Get(echo.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != echo.MIMEApplicationJSON && !strings.HasSuffix(mt, "+json")) {
			return nil, apiErr(http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "", "request body must be application/json")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), req.Body, maxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, apiErr(http.StatusRequestEntityTooLarge, CodeBodyTooLarge, "", "request body is larger than %d bytes", maxBodyBytes)
		}
		return nil, apiErr(http.StatusBadRequest, CodeMalformedJSON, "", "could not read the request body")
	}
	return body, nil
}

// decodeBody is decodeJSON after the transport: the part the fuzz tests
// drive directly.
func decodeBody(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return apiErr(http.StatusBadRequest, CodeMalformedJSON, "", "request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return apiErr(http.StatusBadRequest, CodeMalformedJSON, "", "request body must hold one JSON object and nothing after it")
	}
	return nil
}

// decodeError explains a decoding failure in the client's terms, naming the
// field when encoding/json knows it.
func decodeError(err error) *Error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return apiErr(http.StatusBadRequest, CodeMalformedJSON, "", "malformed JSON at byte %d", syntax.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apiErr(http.StatusBadRequest, CodeMalformedJSON, "", "malformed JSON: the body ends too early")
	case errors.As(err, &typ):
		switch {
		case typ.Type == idType:
			return apiErr(http.StatusUnprocessableEntity, CodeInvalid, typ.Field, "must be an id (a UUID string)")
		case typ.Field == "":
			return apiErr(http.StatusBadRequest, CodeMalformedJSON, "", "request body must be a JSON object")
		}
		return apiErr(http.StatusUnprocessableEntity, CodeInvalid, typ.Field, "must be a JSON %s", jsonKind(typ.Type.Kind()))
	}
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		field, _ = strconv.Unquote(field)
		return apiErr(http.StatusBadRequest, CodeUnknownField, field, "unknown field %q", field)
	}
	return apiErr(http.StatusBadRequest, CodeMalformedJSON, "", "malformed JSON")
}

func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer in range"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Bool:
		return "boolean"
	case reflect.String:
		return "string"
	case reflect.Slice, reflect.Array:
		return "array"
	}
	return "object"
}

var idType = reflect.TypeFor[ID]()

// ID is a UUID that decodes from JSON with a client-facing error, so
// "seat_type": "x" reads as invalid input rather than malformed JSON.
type ID uuid.UUID

// UnmarshalJSON implements json.Unmarshaler.
func (id *ID) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &json.UnmarshalTypeError{Value: "non-string", Type: idType}
	}
	u, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return &json.UnmarshalTypeError{Value: "string", Type: idType}
	}
	*id = ID(u)
	return nil
}

// MarshalJSON implements json.Marshaler.
func (id ID) MarshalJSON() ([]byte, error) { return json.Marshal(uuid.UUID(id).String()) }

// pathID parses the id in path parameter name; a malformed one answers 404
// like an unknown one, since to the client both are "no such thing".
func pathID(c echo.Context, name, what string) (uuid.UUID, error) {
	s := c.Param(name)
	id, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return uuid.Nil, notFound(what)
	}
	return id, nil
}
