package registrationsapp

import (
	"context"
	"fmt"

	"conference/shared/eventstore/sqlitestore"
)

// SQLiteCheckpoints keeps positions in the store's checkpoints table.
type SQLiteCheckpoints struct {
	Store *sqlitestore.Store
}

// Load implements Checkpoints.
func (c SQLiteCheckpoints) Load(ctx context.Context, name string) (int64, error) {
	return c.Store.Checkpoint(ctx, c.Store.DB(), name)
}

// Save implements Checkpoints.
func (c SQLiteCheckpoints) Save(ctx context.Context, name string, position int64) error {
	tx, err := c.Store.DB().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save checkpoint %s: %w", name, err)
	}
	defer tx.Rollback()
	if err := c.Store.SaveCheckpoint(ctx, tx, name, position); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save checkpoint %s: %w", name, err)
	}
	return nil
}
