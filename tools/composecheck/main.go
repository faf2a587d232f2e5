// Command composecheck loads a Compose file with the Compose Specification's
// own loader (compose-go, the library `docker compose` is built on): schema
// validation, interpolation, profiles, depends_on and volume references. It
// prints the normalized project as JSON so tests/test_deploy_compose.py can
// check every BARITO_ variable against the settings the services read.
//
// Usage: composecheck [-profiles LIST] [-env NAME=VALUE]... FILE [OVERRIDE...] > project.json
//
// By default every profile is enabled ("*"), so services behind a profile are
// checked too; -profiles "" loads what a plain `docker compose up` starts.
// Only the defaults written in the file and the -env values are interpolated
// (the caller's environment is not read), so the output is the same on every
// machine. Further files are merged over the first, as `docker compose -f FILE
// -f OVERRIDE` merges them (deploy/docker/compose.local.yaml).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	profiles := flag.String("profiles", "*", "comma-separated profiles to enable")
	environment := []string{}
	flag.Func("env", "NAME=VALUE for interpolation (repeatable)", func(value string) error {
		if !strings.Contains(value, "=") {
			return fmt.Errorf("%q is not NAME=VALUE", value)
		}
		environment = append(environment, value)
		return nil
	})
	flag.Parse()
	if flag.NArg() < 1 {
		fmt.Fprintln(os.Stderr, "usage: composecheck [-profiles LIST] [-env NAME=VALUE]... FILE [OVERRIDE...]")
		os.Exit(2)
	}
	enabled := []string{}
	if *profiles != "" {
		enabled = strings.Split(*profiles, ",")
	}
	options, err := cli.NewProjectOptions(
		flag.Args(),
		cli.WithName("barito"),
		cli.WithProfiles(enabled),
		cli.WithEnv(environment),
		cli.WithDiscardEnvFile,
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", flag.Arg(0), err)
		os.Exit(1)
	}
	out, err := project.MarshalJSON()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Stdout.Write(out)
	os.Stdout.Write([]byte("\n"))
}
