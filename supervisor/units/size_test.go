package units

import (
	"fmt"
	"testing"
)

func TestParseSize(t *testing.T) {
	invalid := func(s string) string {
		return fmt.Sprintf("invalid size %q: write a number with an optional unit, such as 10MiB, 512KB or 1024", s)
	}
	tests := []struct {
		in      string
		want    int64
		wantErr string
	}{
		{in: "10MiB", want: 10 << 20},
		{in: "1.5GB", want: 1_500_000_000},
		{in: "512KiB", want: 512 << 10},
		{in: "1024", want: 1024},
		{in: "1 MiB", want: 1 << 20},
		{in: "  64 KiB\n", want: 64 << 10},
		{in: "0", want: 0},
		{in: "0MiB", want: 0},
		{in: "2GiB", want: 2 << 30},
		{in: "512KB", want: 512_000},
		{in: "10MB", want: 10_000_000},
		{in: "100B", want: 100},
		{in: "0.5KiB", want: 512},
		{in: "1.5B", want: 1},
		{in: "", wantErr: invalid("")},
		{in: "abc", wantErr: invalid("abc")},
		{in: "MiB", wantErr: invalid("MiB")},
		{in: "10XB", wantErr: invalid("10XB")},
		{in: "10 TiB", wantErr: invalid("10 TiB")},
		{in: "10mib", wantErr: invalid("10mib")},
		{in: "1,024", wantErr: invalid("1,024")},
		{in: "10 MiB extra", wantErr: invalid("10 MiB extra")},
		{in: "-1", wantErr: invalid("-1")},
		{in: "-5MiB", wantErr: invalid("-5MiB")},
		{in: " -0.5GB ", wantErr: invalid("-0.5GB")},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSize(tt.in)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseSize(%q) = %d, want error %q", tt.in, got, tt.wantErr)
				}
				if err.Error() != tt.wantErr {
					t.Errorf("ParseSize(%q) error = %q, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSize(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseSize(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

// TestParseSizeRejectsUnrepresentable documents a known bug: ParseSize
// accepts NaN, infinities and sizes beyond int64 and converts them to an
// arbitrary int64 (math.MinInt64 on amd64) without an error.
func TestParseSizeRejectsUnrepresentable(t *testing.T) {
	for _, in := range []string{"NaN", "Inf", "+Inf", "1e30", "9000000000GiB"} {
		t.Run(in, func(t *testing.T) {
			if got, err := ParseSize(in); err == nil {
				t.Errorf("ParseSize(%q) = %d, want an error", in, got)
			}
		})
	}
}
