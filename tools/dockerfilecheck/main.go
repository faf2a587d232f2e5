// Command dockerfilecheck parses Dockerfiles with BuildKit's own parser (the
// one `docker build` uses) and prints what each stage does as JSON, so
// tests/test_deploy_dockerfiles.py can check the images' rules (a non-root
// USER in the final stage, a HEALTHCHECK, no secret in ENV or ARG) on machines
// with no Docker engine.
//
// Usage: dockerfilecheck FILE... > report.json
//
// A file BuildKit refuses makes the command exit 1 naming it; the parser's and
// linter's warnings are reported per file, so the test can refuse them too.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

type keyValue struct {
	Key   string  `json:"key"`
	Value *string `json:"value"`
}

type command struct {
	Instruction string     `json:"instruction"`
	Line        int        `json:"line"`
	Text        string     `json:"text"`
	User        string     `json:"user,omitempty"`
	Env         []keyValue `json:"env,omitempty"`
	Args        []keyValue `json:"args,omitempty"`
	Healthcheck []string   `json:"healthcheck,omitempty"`
}

type stage struct {
	Name     string    `json:"name"`
	Base     string    `json:"base"`
	Commands []command `json:"commands"`
}

type report struct {
	File     string     `json:"file"`
	MetaArgs []keyValue `json:"meta_args"`
	Stages   []stage    `json:"stages"`
	Warnings []string   `json:"warnings"`
}

func check(path string) (report, error) {
	out := report{File: path, MetaArgs: []keyValue{}, Stages: []stage{}, Warnings: []string{}}
	file, err := os.Open(path)
	if err != nil {
		return out, err
	}
	defer file.Close()
	parsed, err := parser.Parse(file)
	if err != nil {
		return out, err
	}
	for _, warning := range parsed.Warnings {
		detail := make([]string, 0, len(warning.Detail))
		for _, line := range warning.Detail {
			detail = append(detail, string(line))
		}
		out.Warnings = append(out.Warnings, fmt.Sprintf("%s: %s", warning.Short, strings.Join(detail, " ")))
	}
	lint := linter.New(&linter.Config{
		Warn: func(rule, _, _, message string, location []parser.Range) {
			line := 0
			if len(location) > 0 {
				line = location[0].Start.Line
			}
			out.Warnings = append(out.Warnings, fmt.Sprintf("line %d: %s: %s", line, rule, message))
		},
	})
	stages, metaArgs, err := instructions.Parse(parsed.AST, lint)
	if err != nil {
		return out, err
	}
	for _, arg := range metaArgs {
		out.MetaArgs = append(out.MetaArgs, optional(arg.Args)...)
	}
	for _, s := range stages {
		described := stage{Name: s.Name, Base: s.BaseName, Commands: []command{}}
		for _, c := range s.Commands {
			described.Commands = append(described.Commands, describe(c))
		}
		out.Stages = append(out.Stages, described)
	}
	return out, nil
}

func optional(pairs []instructions.KeyValuePairOptional) []keyValue {
	out := []keyValue{}
	for _, pair := range pairs {
		out = append(out, keyValue{Key: pair.Key, Value: pair.Value})
	}
	return out
}

func describe(c instructions.Command) command {
	described := command{Instruction: strings.ToLower(c.Name()), Text: fmt.Sprint(c)}
	if located, ok := c.(interface{ Location() []parser.Range }); ok && len(located.Location()) > 0 {
		described.Line = located.Location()[0].Start.Line
	}
	switch typed := c.(type) {
	case *instructions.UserCommand:
		described.User = typed.User
	case *instructions.EnvCommand:
		for _, pair := range typed.Env {
			value := pair.Value
			described.Env = append(described.Env, keyValue{Key: pair.Key, Value: &value})
		}
	case *instructions.ArgCommand:
		described.Args = optional(typed.Args)
	case *instructions.HealthCheckCommand:
		described.Healthcheck = typed.Health.Test
	}
	return described
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: dockerfilecheck FILE...")
		os.Exit(2)
	}
	reports := []report{}
	failed := false
	for _, path := range os.Args[1:] {
		r, err := check(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
			failed = true
			continue
		}
		reports = append(reports, r)
	}
	if failed {
		os.Exit(1)
	}
	encoder := json.NewEncoder(os.Stdout)
	encoder.SetIndent("", "  ")
	if err := encoder.Encode(reports); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
