package callback

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestPolicyWait(t *testing.T) {
	fixed := Policy{Attempts: 3, Interval: time.Second}
	for attempt := 1; attempt <= 5; attempt++ {
		if got := fixed.Wait(attempt, 0); got != time.Second {
			t.Errorf("fixed Wait(%d) = %v, want 1s", attempt, got)
		}
	}
	growing := Policy{Attempts: 10, Interval: time.Second, MaxInterval: 10 * time.Second}
	for _, tt := range []struct {
		attempt  int
		low, top time.Duration
	}{
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{3, 2 * time.Second, 4 * time.Second},
		{4, 4 * time.Second, 8 * time.Second},
		{5, 5 * time.Second, 10 * time.Second},
		{60, 5 * time.Second, 10 * time.Second},
	} {
		for range 50 {
			if got := growing.Wait(tt.attempt, 0); got < tt.low || got > tt.top {
				t.Fatalf("Wait(%d) = %v, want within [%v, %v]", tt.attempt, got, tt.low, tt.top)
			}
		}
	}
	if got := growing.Wait(1, 30*time.Second); got != 30*time.Second {
		t.Errorf("Wait with Retry-After 30s = %v, want 30s", got)
	}
	if got := growing.Wait(1, 48*time.Hour); got != time.Hour {
		t.Errorf("Wait with Retry-After 48h = %v, want the 1h cap", got)
	}
}

func TestSign(t *testing.T) {
	body := []byte(`{"result":"Hello"}`)
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write(body)
	if got, want := Sign("s3cret", body), "sha256="+hex.EncodeToString(mac.Sum(nil)); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"7", 7 * time.Second}, {" 2 ", 2 * time.Second}, {"-1", 0}, {"soon", 0},
		{"99999999", time.Hour},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	} {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestAttemptRetryAfter(t *testing.T) {
	for _, tt := range []struct {
		status int
		want   time.Duration
	}{
		{http.StatusTooManyRequests, 3 * time.Second},
		{http.StatusServiceUnavailable, 3 * time.Second},
		{http.StatusInternalServerError, 0}, // only 429 and 503 are honoured
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(tt.status)
		}))
		r := Attempt(context.Background(), srv.Client(), srv.URL, []byte("{}"), nil)
		srv.Close()
		if r.Status != tt.status || r.RetryAfter != tt.want || r.Err == nil {
			t.Errorf("status %d: Attempt = %+v, want RetryAfter %v and an error", tt.status, r, tt.want)
		}
	}
}
