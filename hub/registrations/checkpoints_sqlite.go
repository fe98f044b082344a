package registrationsapp

import (
	"conference/shared/sqldb"
	"context"
	"fmt"
)

// SQLiteCheckpoints keeps positions in the store's checkpoints table.
type SQLiteCheckpoints struct {
	Store sqldb.Store
}

// Load implements Checkpoints.
func (c SQLiteCheckpoints) Load(ctx context.Context, name string) (int64, error) {
	return sqldb.Checkpoint(ctx, c.Store.DB(), name)
}

// Save implements Checkpoints, in the store's group commit.
func (c SQLiteCheckpoints) Save(ctx context.Context, name string, position int64) error {
	err := c.Store.Write(ctx, func(tx sqldb.Tx) error { return sqldb.SaveCheckpoint(ctx, tx, name, position) })
	if err != nil {
		return fmt.Errorf("save checkpoint %s: %w", name, err)
	}
	return nil
}
