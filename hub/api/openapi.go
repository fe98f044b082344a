package api

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openAPI is the API's OpenAPI 3 document; openapi_test.go checks it
// lists exactly the routes that exist, spec_test.go that the API answers
// as it says.
//
//go:embed openapi.yaml
var openAPI []byte

// OpenAPI returns the OpenAPI 3 document of the API.
func OpenAPI() []byte { return append([]byte(nil), openAPI...) }

func (a *api) handleOpenAPI(c echo.Context) error {
	if err := accepts(c, "application/yaml"); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=300")
	return c.Blob(http.StatusOK, "application/yaml", openAPI)
}
