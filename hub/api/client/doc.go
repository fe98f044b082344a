// Package client is a Go client of the hub's JSON API, generated from
// hub/api/openapi.yaml by oapi-codegen (the version go.mod names as a
// tool). It is what a program written against the published document gets,
// and the API's tests drive real hubs with it. Regenerate after changing
// the document; a test fails while the committed code is stale.
package client

//go:generate go tool oapi-codegen -config oapi-codegen.yaml ../openapi.yaml
