package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Notification channels. A commit that adds events notifies the new head
// on channelEvents; one that writes messages notifies channelMessages;
// Notify's topics share channelApp.
const (
	channelEvents   = "conference_events"
	channelMessages = "conference_messages"
	channelApp      = "conference_app"
)

// topicSep separates a topic from its payload on channelApp.
const topicSep = "\x1f"

// listen keeps one dedicated connection LISTENing, and follows the log into
// the ring: every commit of any replica, announced by notification or
// found by the poll, is read once from the table and handed to this
// replica's waiters. On a lost connection it reconnects, LISTENs again
// before reading the head, so nothing committed in between is missed
// (notifications sent while disconnected are lost, the head is not).
//
// The reading is done by a follower goroutine of its own, woken by the
// listener: notifications that arrive while it reads are taken by the
// listener meanwhile and read together by the next query. Read in the
// listener, each commit of another replica cost a query of its own (a
// quarter of a replica's CPU with 64 writers on two replicas).
func (s *Store) listen(ready chan struct{}) {
	defer s.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.quit:
			cancel()
		case <-ctx.Done():
		}
	}()
	s.tail.reset(s.durableHead())
	kicks := make(chan struct{}, 1)
	kick := func() {
		select {
		case kicks <- struct{}{}:
		default: // a read is due already; it reads up to the newest head
		}
	}
	followed := make(chan struct{})
	go func() {
		defer close(followed)
		s.follower(ctx, kicks)
	}()
	defer func() { <-followed }()
	backoff := 100 * time.Millisecond
	announced := false
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, kick, func() {
			backoff = 100 * time.Millisecond
			if !announced {
				announced = true
				close(ready)
			}
		})
		if ctx.Err() != nil {
			break
		}
		s.log.Warn("PostgreSQL listener lost its connection; reconnecting", "db", s.where, "retry_in", backoff, "err", err)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
		}
		backoff = min(backoff*2, 2*time.Second)
	}
	if !announced {
		close(ready)
	}
}

// follower reads the log into the ring each time it is kicked, until ctx
// ends. A failed read waits for the next kick (the poll's, at the latest).
func (s *Store) follower(ctx context.Context, kicks <-chan struct{}) {
	for {
		select {
		case <-kicks:
		case <-ctx.Done():
			return
		}
		if err := s.follow(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("could not read other replicas' events; trying again at the next notification or poll", "db", s.where, "err", err)
		}
	}
}

func (s *Store) listenOnce(ctx context.Context, kick, connected func()) error {
	conn, err := pgx.ConnectConfig(ctx, s.cfg.ConnConfig.Copy())
	if err != nil {
		return Classify(err)
	}
	defer conn.Close(context.Background())
	for _, ch := range []string{channelEvents, channelMessages, channelApp} {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			return Classify(err)
		}
	}
	// Whatever was committed while nobody listened; Open returns once
	// this replica has caught up with it (connected).
	if err := s.poll(ctx); err != nil {
		return err
	}
	connected()
	for {
		wctx, cancel := context.WithTimeout(ctx, s.opts.Poll)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			if _, _, err := s.durableHeads(ctx); err != nil {
				return err
			}
			kick()
			continue
		case err != nil:
			return Classify(err)
		}
		switch n.Channel {
		case channelEvents:
			head, perr := strconv.ParseInt(n.Payload, 10, 64)
			if perr != nil {
				continue
			}
			s.mu.Lock()
			s.advance(head)
			s.mu.Unlock()
			kick()
		case channelMessages:
			seq, _ := strconv.ParseInt(n.Payload, 10, 64)
			s.mu.Lock()
			s.advanceMessages(seq)
			s.mu.Unlock()
		case channelApp:
			topic, payload, _ := strings.Cut(n.Payload, topicSep)
			s.topics.Deliver(topic, payload)
		}
	}
}

// poll reads both heads, the safety net under lost notifications.
func (s *Store) poll(ctx context.Context) error {
	if _, _, err := s.durableHeads(ctx); err != nil {
		return err
	}
	return s.follow(ctx)
}

// follow reads the events between the ring's newest and the known head
// into the ring, and wakes the watchers of the streams they touch. One
// follow runs at a time (the ring's newest is read, then extended).
func (s *Store) follow(ctx context.Context) error {
	s.followMu.Lock()
	defer s.followMu.Unlock()
	for {
		last, head := s.tail.last(), s.durableHead()
		if last >= head {
			return nil
		}
		evs, err := s.queryEvents(ctx, 256, `SELECT `+eventColumnList+` FROM events
			WHERE position > $1 AND position <= $2 ORDER BY position LIMIT 1000`, last, head)
		if err != nil {
			return fmt.Errorf("follow the log after %d: %w", last, err)
		}
		if len(evs) == 0 {
			return nil
		}
		if !s.tail.extend(evs) {
			s.tail.reset(evs[0].Position - 1)
			s.tail.extend(evs)
		}
		s.mu.Lock()
		s.advance(evs[len(evs)-1].Position)
		s.wakeStreams(evs)
		s.mu.Unlock()
	}
}

// Notify sends payload to every replica's subscribers of topic (this one's
// included).
func (s *Store) Notify(ctx context.Context, topic, payload string) error {
	if _, err := s.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, channelApp, topic+topicSep+payload); err != nil {
		return fmt.Errorf("notify %s: %w", topic, Classify(err))
	}
	return nil
}

// Subscribe returns the payloads notified on topic by any replica from now
// on, and a func to stop (see eventstore.Notifier).
func (s *Store) Subscribe(topic string) (<-chan string, func()) { return s.topics.Subscribe(topic) }
