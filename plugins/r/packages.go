package main

import (
	"fmt"
	"regexp"
	"strings"
)

// packages is what an algorithm's packages.txt asks for. The file is the
// original LangPack's: one requirement a line, full-line # comments. A bare
// name is a CRAN package, "-t <archive>" a package archive, "-g
// <user/repo>" a GitHub package and "-e <expr>" an R expression to run.
// With no package repository reachable, names must already be installed
// (from Debian) and archives must be files in the algorithm folder.
type packages struct {
	// Names are the CRAN packages to find installed.
	Names []string
	// Archives are the package archives to install, paths relative to the
	// algorithm's root.
	Archives []string
}

// packageName matches a valid R package name.
var packageName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9.]*[A-Za-z0-9]$`)

// parsePackages reads a packages.txt. Each line that cannot be honoured
// offline is a problem, prefixed with its line number; the others still
// count.
func parsePackages(text string) (packages, []string) {
	var (
		pkgs     packages
		problems []string
	)
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		problem := func(format string, args ...any) {
			problems = append(problems, fmt.Sprintf("line %d: ", i+1)+fmt.Sprintf(format, args...))
		}
		fields := strings.Fields(line)
		switch {
		case len(fields) == 1 && !strings.HasPrefix(line, "-"):
			if !packageName.MatchString(line) {
				problem("%q is not an R package name", line)
				continue
			}
			pkgs.Names = append(pkgs.Names, line)
		case fields[0] == "-t" && len(fields) == 2:
			if strings.Contains(fields[1], "://") {
				problem("cannot download %s: no package repository is reachable; put the archive in the algorithm folder and give its path", fields[1])
				continue
			}
			pkgs.Archives = append(pkgs.Archives, fields[1])
		case fields[0] == "-g" && len(fields) == 2:
			problem("cannot install the GitHub package %s: GitHub is not reachable; build an archive (R CMD build) into the algorithm folder and name it with -t", fields[1])
		case fields[0] == "-e":
			problem("R expressions (-e) are not run: they need a package repository; install packages from Debian (apt-get install r-cran-<name>) and list their names")
		default:
			problem("unexpected line %q: expected a package name, -t <archive>, -g <user/repo> or -e <expression>", line)
		}
	}
	return pkgs, problems
}
