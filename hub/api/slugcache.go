package api

import (
	"context"
	"sync"
	"time"

	"conference/hub/readmodels"
)

// slugCacheTTL is how long a published conference's details are reused
// for the public reads. Seat availability is never cached (it comes from
// the read models' memory on every request); only the descriptive part,
// which changes when an organizer edits it, may lag by this much.
const slugCacheTTL = time.Second

// maxSlugCache bounds the cache: past it, it starts over.
const maxSlugCache = 4096

// slugCache saves the SQL query (parse, plan, scan) that found a published
// conference by slug, which was a third of the availability read's CPU.
type slugCache struct {
	now func() time.Time

	mu      sync.Mutex
	entries map[string]slugEntry
}

type slugEntry struct {
	conf    readmodels.ConferenceView
	expires time.Time
}

func newSlugCache() *slugCache {
	return &slugCache{now: time.Now, entries: map[string]slugEntry{}}
}

// get returns the published conference by slug from the cache or from
// load. Misses are not cached, so a conference is visible as soon as the
// read model has it.
func (c *slugCache) get(ctx context.Context, slug string, load func(context.Context, string) (readmodels.ConferenceView, error)) (readmodels.ConferenceView, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[slug]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.conf, nil
	}
	conf, err := load(ctx, slug)
	if err != nil || !conf.Published {
		return conf, err
	}
	c.mu.Lock()
	if len(c.entries) >= maxSlugCache {
		c.entries = map[string]slugEntry{}
	}
	c.entries[slug] = slugEntry{conf: conf, expires: now.Add(slugCacheTTL)}
	c.mu.Unlock()
	return conf, nil
}
