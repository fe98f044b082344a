package readmodels

// SetRebuildSizes makes Rebuild read small pages and write in small
// chunks, so a test log spans many of each; it returns the undo.
func SetRebuildSizes(page, chunk int64) (restore func()) {
	oldPage, oldChunk := rebuildPage, rebuildChunk
	rebuildPage, rebuildChunk = page, chunk
	return func() { rebuildPage, rebuildChunk = oldPage, oldChunk }
}
