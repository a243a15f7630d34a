package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/langserver/langserver/supervisor/callback"
)

// maxDeliveries bounds the callback tries in flight at once.
const maxDeliveries = 16

// deliverLater delivers r's callback in the background: each try is
// recorded before the next is scheduled, so that a restart resumes where
// the crash left off.
func (m *Manager) deliverLater(r *record) {
	m.wg.Go(func() {
		for r != nil {
			r = m.deliverOnce(r)
		}
	})
}

// deliverOnce waits for r's next try, makes it and records it. It returns
// the job as it then is, or nil when the delivery is over (or the manager
// stopped).
func (m *Manager) deliverOnce(r *record) *record {
	if r.Callback.NextAttemptAt != nil {
		wait := time.NewTimer(time.Until(*r.Callback.NextAttemptAt))
		select {
		case <-m.ctx.Done():
			wait.Stop()
			return nil
		case <-wait.C:
		}
	}
	select {
	case <-m.ctx.Done():
		return nil
	case m.tokens <- struct{}{}:
	}
	cfg := m.opts.Executor.Callback(r.Algorithm, r.Version)
	header := r.Header.Clone()
	if header == nil {
		header = map[string][]string{}
	}
	header.Set("X-Request-Id", r.ID)
	header.Del(callback.SignatureHeader)
	if cfg.Secret != "" {
		header.Set(callback.SignatureHeader, callback.Sign(cfg.Secret, r.Response))
	}
	ctx, cancel := context.WithTimeout(m.ctx, m.opts.DeliveryTimeout)
	res := callback.Attempt(ctx, m.opts.Client, r.Callback.URL, r.Response, header)
	cancel()
	<-m.tokens
	if m.ctx.Err() != nil {
		// Cut short by a shutdown: the try is made again after a restart.
		return nil
	}
	policy := callback.Policy{Attempts: cfg.MaxAttempts, Interval: m.opts.BackoffMin, MaxInterval: m.opts.BackoffMax}
	if cfg.MaxAttempts <= 0 {
		policy.Attempts = DefaultMaxAttempts
	}
	now := time.Now().UTC()
	next, err := m.store.update(r.ID, func(r *record) error {
		d := r.Callback
		if d == nil || d.State != DeliveryPending {
			return errUnchanged
		}
		try := Try{At: now, Status: res.Status}
		if res.Err != nil {
			try.Error = res.Err.Error()
		}
		d.Attempts = append(d.Attempts, try)
		d.NextAttemptAt = nil
		switch {
		case res.Err == nil:
			d.State = DeliveryDelivered
		case len(d.Attempts) >= policy.Attempts:
			d.State = DeliveryUndeliverable
		default:
			at := now.Add(policy.Wait(len(d.Attempts), res.RetryAfter))
			d.NextAttemptAt = &at
		}
		return nil
	})
	switch {
	case errors.Is(err, errUnchanged), errors.Is(err, ErrNotFound):
		return nil
	case err != nil:
		m.opts.Logger.Error("recording a callback try", "request_id", r.ID, "error", err)
		return nil
	}
	switch next.Callback.State {
	case DeliveryDelivered:
		return nil
	case DeliveryUndeliverable:
		m.opts.Logger.Error("callback undeliverable", "request_id", r.ID, "url", r.Callback.URL, "attempts", len(next.Callback.Attempts), "last_error", res.Err)
		return nil
	}
	m.opts.Logger.Warn("callback failed; will retry", "request_id", r.ID, "url", r.Callback.URL, "attempt", len(next.Callback.Attempts), "error", res.Err, "retry_at", next.Callback.NextAttemptAt)
	return next
}
