package api_test

import (
	"cmp"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/langserver/langserver/supervisor/api"
)

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in      string
		want    api.Version
		wantErr bool
	}{
		{in: "1.2.3", want: api.Version{Major: 1, Minor: 2, Patch: 3}},
		{in: "0.0.0", want: api.Version{}},
		{in: "10.20.300", want: api.Version{Major: 10, Minor: 20, Patch: 300}},
		{in: "", wantErr: true},
		{in: "1", wantErr: true},
		{in: "1.2", wantErr: true},
		{in: "1.2.3.4", wantErr: true},
		{in: "1.2.*", wantErr: true},
		{in: "1..3", wantErr: true},
		{in: "a.b.c", wantErr: true},
		{in: "v1.2.3", wantErr: true},
		{in: "1.-2.3", wantErr: true},
		{in: " 1.2.3", wantErr: true},
		{in: "1.2.3-beta", wantErr: true},
		{in: "latest", wantErr: true},
		{in: "+1.2.3", wantErr: true},
		{in: "01.2.3", wantErr: true},
		{in: "1.+2.3", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := api.ParseVersion(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseVersion(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if diff := gocmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseVersion(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			if err == nil && got.String() != tt.in {
				t.Errorf("ParseVersion(%q).String() = %q", tt.in, got.String())
			}
		})
	}
}

func TestCompare(t *testing.T) {
	v := func(s string) api.Version {
		t.Helper()
		out, err := api.ParseVersion(s)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	tests := []struct {
		a, b string
		want int // the sign
	}{
		{"1.2.3", "1.2.3", 0},
		{"1.2.3", "1.2.4", -1},
		{"1.2.10", "1.2.9", 1},
		{"1.3.0", "1.2.99", 1},
		{"1.10.0", "1.9.0", 1},
		{"2.0.0", "1.99.99", 1},
		{"0.0.1", "1.0.0", -1},
		{"0.0.0", "0.0.0", 0},
	}
	for _, tt := range tests {
		t.Run(tt.a+" vs "+tt.b, func(t *testing.T) {
			if got := cmp.Compare(v(tt.a).Compare(v(tt.b)), 0); got != tt.want {
				t.Errorf("%s.Compare(%s) has sign %d, want %d", tt.a, tt.b, got, tt.want)
			}
			if got := cmp.Compare(v(tt.b).Compare(v(tt.a)), 0); got != -tt.want {
				t.Errorf("%s.Compare(%s) has sign %d, want %d", tt.b, tt.a, got, -tt.want)
			}
		})
	}
}

// versionsRegistry serves own/algo in five versions, given out of order,
// and own/other in one.
func versionsRegistry(t *testing.T) *api.Registry {
	t.Helper()
	var algos []*api.Algorithm
	for _, a := range []struct{ owner, name, version, hash string }{
		{"own", "algo", "1.2.0", "aaaaaa1111"},
		{"own", "algo", "0.9.1", "0a0a0a0a0a"},
		{"own", "algo", "2.0.0", "123456abcd"},
		{"own", "algo", "1.2.5", "bbbbbb2222"},
		{"own", "algo", "1.0.0", "cccccc3333"},
		{"own", "other", "3.0.0", "dddddd4444"},
	} {
		v, err := api.ParseVersion(a.version)
		if err != nil {
			t.Fatal(err)
		}
		algos = append(algos, &api.Algorithm{Owner: a.owner, Name: a.name, Version: v, BuildHash: a.hash})
	}
	return api.NewRegistry(algos)
}

func TestRegistryAll(t *testing.T) {
	var got []string
	for _, a := range versionsRegistry(t).All() {
		got = append(got, a.Owner+"/"+a.Name+"@"+a.Version.String())
	}
	want := []string{"own/algo@2.0.0", "own/algo@1.2.5", "own/algo@1.2.0", "own/algo@1.0.0", "own/algo@0.9.1", "own/other@3.0.0"}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("All() mismatch (-want +got):\n%s", diff)
	}
	if got := api.NewRegistry(nil).All(); len(got) != 0 {
		t.Errorf("All() of an empty registry = %v", got)
	}
}

func TestResolve(t *testing.T) {
	r := versionsRegistry(t)
	tests := []struct {
		name    string
		algo    string // name under owner "own"
		version string
		want    string // the version found, "" for none
	}{
		{"empty is newest", "algo", "", "2.0.0"},
		{"latest is newest", "algo", "latest", "2.0.0"},
		{"exact", "algo", "1.2.0", "1.2.0"},
		{"exact oldest", "algo", "0.9.1", "0.9.1"},
		{"exact unknown", "algo", "1.2.3", ""},
		{"minor wildcard", "algo", "1.2.*", "1.2.5"},
		{"minor prefix", "algo", "1.2", "1.2.5"},
		{"minor prefix of one version", "algo", "1.0", "1.0.0"},
		{"major wildcard", "algo", "1.*", "1.2.5"},
		{"major prefix", "algo", "1", "1.2.5"},
		{"major zero", "algo", "0", "0.9.1"},
		{"unknown major", "algo", "3", ""},
		{"unknown major wildcard", "algo", "3.*", ""},
		{"unknown minor", "algo", "1.1.*", ""},
		{"too many parts", "algo", "1.2.0.0", ""},
		{"bare wildcard", "algo", "*", ""},
		{"build hash prefix", "algo", "aaaaaa1", "1.2.0"},
		{"whole build hash", "algo", "bbbbbb2222", "1.2.5"},
		{"build hash is case-insensitive", "algo", "CCCCCC33", "1.0.0"},
		{"six hex digits are enough", "algo", "0a0a0a", "0.9.1"},
		{"five hex digits are not", "algo", "aaaaa", ""},
		{"not hex", "algo", "aaaaag", ""},
		{"unknown hash", "algo", "ffffff", ""},
		{"hash longer than the build hash", "algo", "aaaaaa11110", ""},
		{"numeric hash prefix that is no version", "algo", "123456", "2.0.0"},
		{"numeric hash prefix, longer", "algo", "123456a", "2.0.0"},
		{"hash of another algorithm", "algo", "dddddd", ""},
		{"other algorithm", "other", "", "3.0.0"},
		{"other algorithm, its hash", "other", "DDDDDD44", "3.0.0"},
		{"unknown algorithm", "missing", "", ""},
		{"unknown algorithm, latest", "missing", "latest", ""},
		{"unknown algorithm, version", "missing", "1.2.0", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, ok := r.Resolve("own", tt.algo, tt.version)
			got := ""
			if ok {
				got = a.Version.String()
				if a.Owner != "own" || a.Name != tt.algo {
					t.Errorf("Resolve(own, %s, %q) = %s/%s", tt.algo, tt.version, a.Owner, a.Name)
				}
			} else if a != nil {
				t.Errorf("Resolve(own, %s, %q) = %v, false; want nil", tt.algo, tt.version, a)
			}
			if got != tt.want {
				t.Errorf("Resolve(own, %s, %q) = %q, want %q", tt.algo, tt.version, got, tt.want)
			}
		})
	}
	if _, ok := r.Resolve("other-owner", "algo", ""); ok {
		t.Error("Resolve found own/algo under another owner")
	}
}
