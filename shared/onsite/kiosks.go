package onsite

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// KioskNamed is the hub's record of the name the organizer gave a kiosk.
// Events recorded at a kiosk carry its id; people see its name ("Front
// desk"), on the kiosks' screens and on the hub's. Sync carries this event
// to the conference's kiosks like any other, so a kiosk learns its own name
// and the names of the others, and names check-ins and prints recorded
// before it learned them.
type KioskNamed struct {
	ConferenceID uuid.UUID `json:"conference_id"`
	KioskID      string    `json:"kiosk_id"`
	Name         string    `json:"name"`
	At           time.Time `json:"at"`
}

// EventType implements eventsourcing.Event.
func (KioskNamed) EventType() string { return "onsite.KioskNamed" }

// KioskStreamID is the stream of the hub's facts about one kiosk: its name,
// its revocation.
func KioskStreamID(kioskID string) string { return "kiosk-" + kioskID }

// KioskStreamType is the stream type of KioskStreamID.
const KioskStreamType = "onsite.Kiosk"

// MaxKioskName bounds a kiosk's name, as the hub's registry does.
const MaxKioskName = 100

// NameKiosk returns the record of a kiosk's name.
func NameKiosk(conferenceID uuid.UUID, kioskID, name string, now time.Time) (KioskNamed, error) {
	name = strings.TrimSpace(name)
	switch {
	case conferenceID == uuid.Nil || kioskID == "":
		return KioskNamed{}, invalidf("conference and kiosk ids are required")
	case name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxKioskName:
		return KioskNamed{}, invalidf("a kiosk name is 1 to %d characters", MaxKioskName)
	}
	return KioskNamed{ConferenceID: conferenceID, KioskID: kioskID, Name: name, At: now.UTC()}, nil
}
