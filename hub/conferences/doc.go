// Package conferences is the hub's Conference Management context (DESIGN
// section 4): organizer accounts (the tenants), the conferences they own, the
// seat types those conferences sell and their promo codes.
//
// It holds the domain types, their validation, the Service interface and the
// integration events a change publishes for the registrations context. It
// imports no SQL or HTTP package: adapters such as package sqlite implement
// Service and talk to the rest of the system only through these types.
package conferences
