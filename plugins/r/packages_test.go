package main

import (
	"slices"
	"testing"
)

func TestParsePackages(t *testing.T) {
	text := `# comment
jsonlite

  data.table  
-t vendor/mypkg_1.0.tar.gz
-t https://cran.r-project.org/src/contrib/R6_2.2.2.tar.gz
-g algorithmiaio/algorithmia-r
-e install.packages("x")
not a package
2fast
-x something
`
	pkgs, problems := parsePackages(text)
	if want := []string{"jsonlite", "data.table"}; !slices.Equal(pkgs.Names, want) {
		t.Errorf("Names = %q, want %q", pkgs.Names, want)
	}
	if want := []string{"vendor/mypkg_1.0.tar.gz"}; !slices.Equal(pkgs.Archives, want) {
		t.Errorf("Archives = %q, want %q", pkgs.Archives, want)
	}
	wantProblems := []string{
		"line 6: cannot download https://cran.r-project.org/src/contrib/R6_2.2.2.tar.gz: no package repository is reachable; put the archive in the algorithm folder and give its path",
		"line 7: cannot install the GitHub package algorithmiaio/algorithmia-r: GitHub is not reachable; build an archive (R CMD build) into the algorithm folder and name it with -t",
		"line 8: R expressions (-e) are not run: they need a package repository; install packages from Debian (apt-get install r-cran-<name>) and list their names",
		`line 9: unexpected line "not a package": expected a package name, -t <archive>, -g <user/repo> or -e <expression>`,
		`line 10: "2fast" is not an R package name`,
		`line 11: unexpected line "-x something": expected a package name, -t <archive>, -g <user/repo> or -e <expression>`,
	}
	if !slices.Equal(problems, wantProblems) {
		t.Errorf("problems:\n%q\nwant:\n%q", problems, wantProblems)
	}
}

func TestParsePackagesEmpty(t *testing.T) {
	pkgs, problems := parsePackages("# only comments\n\n")
	if len(pkgs.Names) != 0 || len(pkgs.Archives) != 0 || len(problems) != 0 {
		t.Errorf("parsePackages = %+v, %q; want nothing", pkgs, problems)
	}
}

func TestMissingMessage(t *testing.T) {
	got := missingMessage([]string{"data.table", "Rcpp"})
	want := "R packages not installed, and no CRAN reachable: data.table, Rcpp; install them (Debian: apt-get install r-cran-data.table r-cran-rcpp)"
	if got != want {
		t.Errorf("missingMessage = %q, want %q", got, want)
	}
}

func TestEnviron(t *testing.T) {
	t.Setenv("LC_ALL", "")
	t.Setenv("LC_CTYPE", "")
	t.Setenv("LANG", "")
	if env := environ(nil); !slices.Contains(env, "LANG=C.UTF-8") {
		t.Errorf("without a locale, environ() = %q; want LANG=C.UTF-8", env)
	}
	t.Setenv("LANG", "de_DE.UTF-8")
	if env := environ(nil); !slices.Contains(env, "LANG=de_DE.UTF-8") || slices.Contains(env, "LANG=C.UTF-8") {
		t.Errorf("with LANG set, environ() = %q; want it kept", env)
	}
}
