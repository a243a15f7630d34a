package callback

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries "sha256=<hex>", the HMAC-SHA256 of the body
// keyed with the callback's secret, when one is set.
const SignatureHeader = "X-Langserver-Signature-256"

// maxRetryAfter bounds how long a receiver's Retry-After may hold a
// delivery back.
const maxRetryAfter = time.Hour

// Policy says how often and how far apart delivery is attempted.
type Policy struct {
	// Attempts is the total number of tries; at least 1.
	Attempts int
	// Interval is the wait before the second try.
	Interval time.Duration
	// MaxInterval, when above Interval, makes the waits grow: each doubles
	// the one before, up to MaxInterval, and is jittered by up to half of
	// itself downwards. Otherwise every wait is Interval.
	MaxInterval time.Duration
}

// Original is the policy of the original LangServer: three attempts, one
// second apart.
var Original = Policy{Attempts: 3, Interval: time.Second}

// Wait returns how long to wait after the failed try number attempt
// (1-based) before the next one. A receiver's Retry-After (retryAfter > 0)
// is honoured when it asks for longer, up to an hour.
func (p Policy) Wait(attempt int, retryAfter time.Duration) time.Duration {
	wait := p.Interval
	if p.MaxInterval > p.Interval {
		for i := 1; i < attempt && wait < p.MaxInterval; i++ {
			wait *= 2
		}
		wait = min(wait, p.MaxInterval)
		// Jitter spreads the retries of many jobs that failed together.
		wait -= time.Duration(rand.Int64N(int64(wait)/2 + 1))
	}
	return max(wait, min(retryAfter, maxRetryAfter))
}

// Sign returns the value of SignatureHeader for body: "sha256=" and the
// hex HMAC-SHA256 of body keyed with secret.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// ForwardedHeaders returns the X-* headers of h, the ones a callback
// carries from the original request.
func ForwardedHeaders(h http.Header) http.Header {
	out := make(http.Header)
	for name, values := range h {
		if strings.HasPrefix(strings.ToLower(name), "x-") {
			out[name] = append([]string(nil), values...)
		}
	}
	return out
}

// Result is the outcome of one try.
type Result struct {
	// Status is the receiver's HTTP status, 0 when none came.
	Status int
	// RetryAfter is the receiver's Retry-After on a 429 or 503, else 0.
	RetryAfter time.Duration
	// Err is nil when the receiver answered 2xx.
	Err error
}

// Deliver POSTs body (JSON) to url with header, until a 2xx answer or the
// policy's attempts are spent. It returns the last failure.
func Deliver(ctx context.Context, client *http.Client, url string, body []byte, header http.Header, p Policy) error {
	attempts := max(p.Attempts, 1)
	var last Result
	for i := range attempts {
		if i > 0 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("delivering to %s: %w (last failure: %v)", url, ctx.Err(), last.Err)
			case <-time.After(p.Wait(i, last.RetryAfter)):
			}
		}
		if last = Attempt(ctx, client, url, body, header); last.Err == nil {
			return nil
		}
	}
	return fmt.Errorf("delivering to %s failed %d times, last: %w", url, attempts, last.Err)
}

// Attempt POSTs body (JSON) to url once, with header.
func Attempt(ctx context.Context, client *http.Client, url string, body []byte, header http.Header) Result {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Result{Err: err}
	}
	for name, values := range header {
		req.Header[name] = values
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return Result{Err: err}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	r := Result{Status: resp.StatusCode}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		r.Err = fmt.Errorf("status %s", resp.Status)
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		r.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return r
}

// parseRetryAfter reads seconds or an HTTP date; 0 when absent or invalid.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(maxRetryAfter/time.Second))) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}
