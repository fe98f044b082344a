// Package sample makes realistic attendee lists for tests and benchmarks.
package sample

import (
	"fmt"

	"github.com/google/uuid"

	"conference/badges"
)

// Names are the names every script test and benchmark must print exactly.
var Names = []string{
	"Zoë Ødegård-Łukasiewicz",
	"Αλέξανδρος Παπαδόπουλος",
	"Дмитрий Шостакович",
	"王小明",
	"Nguyễn Thị Minh Khai",
}

var (
	companies = []string{"Fjord Systems AS", "Ακρόπολη Labs", "Северсталь", "北京科技有限公司", "Sài Gòn Software", "Acme Corp"}
	roles     = []string{"Staff Engineer", "CTO", "Developer Advocate", "工程师", "Product Manager", ""}
	seats     = [][]string{
		{"Full conference"},
		{"Full conference", "Workshop: Advanced Concurrency"},
		{"Full conference", "Workshop: Profiling Go", "Speakers' dinner"},
		{},
	}
)

// Conference is the conference name printed on sample badges.
const Conference = "GopherCon Europe 2026"

// Seat returns the seat id of the i-th sample attendee.
func Seat(i int) string {
	return uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "seat-%d", i)).String()
}

// List returns n badges cycling through Names and sample companies, roles
// and seat types. sign, if not nil, provides each badge's token.
func List(n int, sign func(i int) (string, error)) ([]badges.Badge, error) {
	out := make([]badges.Badge, n)
	for i := range out {
		b, err := At(i, sign)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

// At returns the i-th badge of List, made when asked.
func At(i int, sign func(i int) (string, error)) (badges.Badge, error) {
	b := badges.Badge{
		Conference: Conference,
		Name:       Names[i%len(Names)],
		Company:    companies[i%len(companies)],
		Role:       roles[i%len(roles)],
		SeatTypes:  seats[i%len(seats)],
		AccessCode: fmt.Sprintf("K7Q-%04d", i%10000),
	}
	if sign != nil {
		t, err := sign(i)
		if err != nil {
			return badges.Badge{}, fmt.Errorf("sign sample badge %d: %w", i, err)
		}
		b.Token = t
	}
	return b, nil
}
