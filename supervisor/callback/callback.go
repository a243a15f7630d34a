package callback

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Policy says how often and how far apart delivery is attempted.
type Policy struct {
	// Attempts is the total number of tries; at least 1.
	Attempts int
	// Interval is the wait between tries.
	Interval time.Duration
}

// Original is the policy of the original LangServer: three attempts, one
// second apart.
var Original = Policy{Attempts: 3, Interval: time.Second}

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

// Deliver POSTs body (JSON) to url with header, until a 2xx answer or the
// policy's attempts are spent. It returns the last failure.
func Deliver(ctx context.Context, client *http.Client, url string, body []byte, header http.Header, p Policy) error {
	attempts := max(p.Attempts, 1)
	var last error
	for i := range attempts {
		if i > 0 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("delivering to %s: %w (last failure: %v)", url, ctx.Err(), last)
			case <-time.After(p.Interval):
			}
		}
		if last = post(ctx, client, url, body, header); last == nil {
			return nil
		}
	}
	return fmt.Errorf("delivering to %s failed %d times, last: %w", url, attempts, last)
}

func post(ctx context.Context, client *http.Client, url string, body []byte, header http.Header) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for name, values := range header {
		req.Header[name] = values
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("status %s", resp.Status)
	}
	return nil
}
