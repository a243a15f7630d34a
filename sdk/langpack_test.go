package sdk

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNegotiateAPIVersion(t *testing.T) {
	tests := []struct {
		name          string
		host, adapter []uint32
		want          uint32
	}{
		{"same single version", []uint32{1}, []uint32{1}, 1},
		{"highest common version", []uint32{1, 2, 3}, []uint32{3, 1}, 3},
		{"higher versions on one side only are ignored", []uint32{1, 2}, []uint32{2, 3, 4}, 2},
		{"order does not matter", []uint32{3, 1, 2}, []uint32{2, 1}, 2},
		{"no common version", []uint32{1, 2}, []uint32{3, 4}, 0},
		{"adapter lists nothing", []uint32{1}, nil, 0},
		{"host lists nothing", nil, []uint32{1}, 0},
		{"this SDK's version", []uint32{APIVersion}, []uint32{APIVersion}, APIVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NegotiateAPIVersion(tt.host, tt.adapter); got != tt.want {
				t.Errorf("NegotiateAPIVersion(%v, %v) = %d, want %d", tt.host, tt.adapter, got, tt.want)
			}
			// Negotiation is symmetric.
			if got := NegotiateAPIVersion(tt.adapter, tt.host); got != tt.want {
				t.Errorf("NegotiateAPIVersion(%v, %v) = %d, want %d", tt.adapter, tt.host, got, tt.want)
			}
		})
	}
}

func TestMergeEnv(t *testing.T) {
	tests := []struct {
		name string
		base []string
		add  map[string]string
		want []string
	}{
		{
			name: "replaces in place of the old value and adds, sorted, at the end",
			base: []string{"A=1", "B=2", "C=3"},
			add:  map[string]string{"B": "x", "D": "4", "AA": "5"},
			want: []string{"A=1", "C=3", "AA=5", "B=x", "D=4"},
		},
		{
			name: "every earlier value of a name is replaced",
			base: []string{"PATH=/a", "HOME=/h", "PATH=/b"},
			add:  map[string]string{"PATH": "/c"},
			want: []string{"HOME=/h", "PATH=/c"},
		},
		{
			name: "values may contain = and be empty",
			base: []string{"OPTS=a=b", "KEEP=1=2"},
			add:  map[string]string{"OPTS": "x=y", "EMPTY": ""},
			want: []string{"KEEP=1=2", "EMPTY=", "OPTS=x=y"},
		},
		{
			name: "names are case-sensitive",
			base: []string{"path=/lower"},
			add:  map[string]string{"PATH": "/upper"},
			want: []string{"path=/lower", "PATH=/upper"},
		},
		{
			name: "entries without = are kept unless replaced",
			base: []string{"WEIRD", "ODD"},
			add:  map[string]string{"ODD": "1"},
			want: []string{"WEIRD", "ODD=1"},
		},
		{
			name: "nothing to add",
			base: []string{"A=1"},
			add:  nil,
			want: []string{"A=1"},
		},
		{
			name: "empty base",
			base: nil,
			add:  map[string]string{"Z": "26", "A": "1", "M": "13"},
			want: []string{"A=1", "M=13", "Z=26"},
		},
		{
			name: "both empty",
			want: []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := slices.Clone(tt.base)
			got := MergeEnv(base, tt.add)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("MergeEnv mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.base, base); diff != "" {
				t.Errorf("MergeEnv modified base (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("order is deterministic", func(t *testing.T) {
		add := map[string]string{}
		var want []string
		for _, k := range []string{"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L"} {
			add[k] = k
			want = append(want, k+"="+k)
		}
		for i := range 50 {
			if diff := cmp.Diff(want, MergeEnv(nil, add)); diff != "" {
				t.Fatalf("call %d: MergeEnv order mismatch (-want +got):\n%s", i, diff)
			}
		}
	})
}
