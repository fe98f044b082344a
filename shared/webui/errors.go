package webui

// ErrorsOf lists every error of type T in err's tree (errors.Join and %w
// wrapping), in order. A validation that joins one error per field at
// fault gives a form every message at once this way, where errors.As
// would give only the first.
func ErrorsOf[T error](err error) []T {
	var out []T
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if t, ok := err.(T); ok {
			out = append(out, t)
			return
		}
		switch e := err.(type) {
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	return out
}
