package main

import (
	"os"

	"github.com/langserver/langserver/supervisor/cli"
)

func main() {
	os.Exit(cli.Execute())
}
