// Package mbpp reads the MBPP corpus (974 small Python programs with
// assert tests, CC BY 4.0) kept in sandbox/testdata/mbpp, which the
// compatibility tests, the batch tests and the batch benchmark run.
package mbpp

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// Task is one line of mbpp.jsonl.
type Task struct {
	TaskID    int      `json:"task_id"`
	Code      string   `json:"code"`
	SetupCode string   `json:"test_setup_code"`
	Tests     []string `json:"test_list"`
}

// Asserts is the task's test setup (which uses the code's classes) and
// its asserts, to run after its code.
func (t Task) Asserts() string { return t.SetupCode + "\n" + strings.Join(t.Tests, "\n") }

// Program is the task's reference code followed by its asserts.
func (t Task) Program() string { return t.Code + "\n\n" + t.Asserts() + "\n" }

// Dir is the corpus's directory in the repository, wherever the caller
// runs from.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "sandbox", "testdata", "mbpp")
}

// Tasks reads mbpp.jsonl.
func Tasks() ([]Task, error) {
	f, err := os.Open(filepath.Join(Dir(), "mbpp.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("mbpp: %w", err)
	}
	defer f.Close()
	var tasks []Task
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var task Task
		if err := json.Unmarshal(sc.Bytes(), &task); err != nil {
			return nil, fmt.Errorf("mbpp.jsonl line %d: %w", len(tasks)+1, err)
		}
		tasks = append(tasks, task)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("mbpp: %w", err)
	}
	return tasks, nil
}

// KnownFailures reads known_failures.txt, "TASK_ID reason" lines ('#'
// starts a comment): the tasks whose reference code fails its own asserts
// under CPython anywhere.
func KnownFailures() (map[int]string, error) {
	data, err := os.ReadFile(filepath.Join(Dir(), "known_failures.txt"))
	if err != nil {
		return nil, fmt.Errorf("mbpp: %w", err)
	}
	known := map[int]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, reason, _ := strings.Cut(line, " ")
		n, err := strconv.Atoi(id)
		if err != nil || strings.TrimSpace(reason) == "" {
			return nil, fmt.Errorf("known_failures.txt: %q is not \"TASK_ID reason\"", line)
		}
		known[n] = reason
	}
	return known, nil
}
