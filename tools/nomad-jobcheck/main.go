// nomad-jobcheck decodes Nomad job specifications (JSON API form) into Nomad's
// own api.Job type with unknown fields rejected, so a misspelt or misplaced
// field in a rendered job fails here instead of being silently dropped by the
// agent. It takes file paths (or stdin) holding a job or {"Job": {...}}.
//
//	nomad-jobcheck kafka.json search.json
//
// Exit status 0: every job decoded; 1: the first problem is printed.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/hashicorp/nomad/api"
)

type wrapped struct {
	Job *api.Job
}

func decode(data []byte) (*api.Job, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, err
	}
	strict := func(target any) error {
		decoder := json.NewDecoder(bytes.NewReader(data))
		decoder.DisallowUnknownFields()
		if err := decoder.Decode(target); err != nil {
			return err
		}
		if decoder.More() {
			return fmt.Errorf("trailing data after the job")
		}
		return nil
	}
	if _, ok := probe["Job"]; ok && len(probe) == 1 {
		var w wrapped
		if err := strict(&w); err != nil {
			return nil, err
		}
		return w.Job, nil
	}
	var job api.Job
	if err := strict(&job); err != nil {
		return nil, err
	}
	return &job, nil
}

func check(job *api.Job) error {
	if job == nil || job.ID == nil || *job.ID == "" {
		return fmt.Errorf("the job has no ID")
	}
	if len(job.TaskGroups) == 0 {
		return fmt.Errorf("job %s has no task groups", *job.ID)
	}
	for _, group := range job.TaskGroups {
		if group.Name == nil || *group.Name == "" {
			return fmt.Errorf("job %s has a task group without a name", *job.ID)
		}
		if len(group.Tasks) == 0 {
			return fmt.Errorf("task group %s of job %s has no tasks", *group.Name, *job.ID)
		}
		for _, task := range group.Tasks {
			if task.Name == "" || task.Driver == "" {
				return fmt.Errorf("task group %s of job %s has a task without a name or driver", *group.Name, *job.ID)
			}
		}
	}
	job.Canonicalize()
	return nil
}

func run(name string, input io.Reader) error {
	data, err := io.ReadAll(input)
	if err != nil {
		return err
	}
	job, err := decode(data)
	if err != nil {
		return fmt.Errorf("%s: not a Nomad api.Job: %w", name, err)
	}
	if err := check(job); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	fmt.Printf("%s: ok (job %s, %d task groups)\n", name, *job.ID, len(job.TaskGroups))
	return nil
}

func main() {
	paths := os.Args[1:]
	if len(paths) == 0 {
		if err := run("stdin", os.Stdin); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	for _, path := range paths {
		file, err := os.Open(path)
		if err == nil {
			err = run(path, file)
			file.Close()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
