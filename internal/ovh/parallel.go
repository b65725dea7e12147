package ovh

import (
	"context"
	"sync"
)

// forEach calls fn(ctx, i) for i in [0, count) with at most limit calls
// running at once. After the first error it starts no more calls, cancels
// the context given to the running ones, waits for them and returns that
// error. It returns ctx's error when ctx ends first.
func forEach(ctx context.Context, limit, count int, fn func(ctx context.Context, i int) error) error {
	inner, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, max(limit, 1))
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
loop:
	for i := range count {
		select {
		case sem <- struct{}{}:
		case <-inner.Done():
			break loop
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(inner, i); err != nil {
				once.Do(func() {
					first = err
					cancel()
				})
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}
