package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/wasmplay/wasmplay/hostfs"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/runtimes/codeblocks"
)

// readCode gets the program from -c, a file, stdin or a Markdown block.
// hintRuntime is the runtime a Markdown fence named (or guessed).
func readCode(g *globals, o runOptions, files []string) (code []byte, source, hintRuntime string, err error) {
	if o.markdown != "" {
		return readMarkdownCode(g, o, files)
	}
	if o.block != 0 {
		return nil, "", "", usageError("--block needs --from-markdown")
	}
	code, source, err = readPlainCode(g, o, files)
	return code, source, "", err
}

// readMarkdownCode extracts a fenced code block from an LLM answer.
func readMarkdownCode(g *globals, o runOptions, files []string) ([]byte, string, string, error) {
	if o.codeSet || len(files) > 0 {
		return nil, "", "", usageError("--from-markdown takes the code from the Markdown: give no -c or FILE")
	}
	var text []byte
	var err error
	if o.markdown == "-" {
		text, err = io.ReadAll(io.LimitReader(g.stdin, run.MaxCodeBytes+1))
	} else {
		text, err = hostfs.ReadFile(o.markdown, run.MaxCodeBytes)
	}
	if err != nil {
		return nil, "", "", usageError("--from-markdown: %v", err)
	}
	if len(text) > run.MaxCodeBytes {
		return nil, "", "", usageError("--from-markdown: the text is larger than %s", run.FormatBytes(run.MaxCodeBytes))
	}
	blocks := codeblocks.Extract(string(text))
	b, err := codeblocks.Select(blocks, o.block)
	if errors.Is(err, codeblocks.ErrNoBlocks) {
		fmt.Fprintf(g.stderr, "wasmplay: %s has no fenced code block; running the whole text as code\n", o.markdown)
		return text, o.markdown, "", nil
	}
	if err != nil {
		return nil, "", "", usageError("%s: %v", o.markdown, err)
	}
	if err := codeblocks.Runnable(b); err != nil && o.runtime == "" {
		return nil, "", "", usageError("%v (or give -r RUNTIME)", err)
	}
	if b.Guessed {
		fmt.Fprintf(g.stderr, "wasmplay: code block %d has no language tag; it looks like %s (-r overrides)\n", b.Index, b.Runtime)
	}
	return []byte(b.Code), o.markdown, b.Runtime, nil
}

// readPlainCode gets the program from -c, a file or stdin.
func readPlainCode(g *globals, o runOptions, files []string) (code []byte, source string, err error) {
	switch {
	case o.codeSet && len(files) > 0:
		return nil, "", usageError("give the code with -c or as a FILE, not both")
	case o.codeSet:
		return []byte(o.code), "-c", nil
	case len(files) == 0:
		return nil, "", usageError("no code to run: give -c CODE, a FILE, or - to read standard input")
	case len(files) > 1:
		return nil, "", usageError("one FILE at a time (got %d); guest arguments go after --", len(files))
	case files[0] == "-":
		data, err := io.ReadAll(io.LimitReader(g.stdin, run.MaxCodeBytes+1))
		if err != nil {
			return nil, "", usageError("read code from standard input: %v", err)
		}
		if len(data) > run.MaxCodeBytes {
			return nil, "", usageError("code on standard input is larger than %s", run.FormatBytes(run.MaxCodeBytes))
		}
		return data, "-", nil
	}
	data, err := hostfs.ReadFile(files[0], run.MaxCodeBytes)
	if err != nil {
		return nil, "", usageError("%v", err)
	}
	return data, files[0], nil
}

// parseEnv reads --env K=V (or K, taking the host's value).
func parseEnv(kvs []string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	env := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			host, present := os.LookupEnv(k)
			if !present {
				return nil, usageError("--env %s: not set in this environment (use --env %s=VALUE)", k, k)
			}
			v = host
		}
		env[k] = v
	}
	return env, nil
}

// parseMounts reads --mount HOST_DIR:GUEST_PATH.
func parseMounts(specs []string) ([]run.Mount, error) {
	var mounts []run.Mount
	for _, m := range specs {
		host, guest, ok := strings.Cut(m, ":")
		if !ok || host == "" || guest == "" {
			return nil, usageError("--mount %q: use HOST_DIR:GUEST_PATH, e.g. ./data:/data", m)
		}
		abs, err := filepath.Abs(host)
		if err != nil {
			return nil, usageError("--mount %q: %v", m, err)
		}
		mounts = append(mounts, run.Mount{HostPath: abs, GuestPath: guest})
	}
	return mounts, nil
}

// readStdin reads --stdin: a file, or - for this process's stdin.
func readStdin(g *globals, o runOptions, source string) ([]byte, error) {
	switch o.stdinFile {
	case "":
		return nil, nil
	case "-":
		if source == "-" {
			return nil, usageError("--stdin -: standard input already carries the code")
		}
		data, err := io.ReadAll(io.LimitReader(g.stdin, run.MaxStdinBytes+1))
		if err != nil {
			return nil, usageError("read standard input: %v", err)
		}
		if len(data) > run.MaxStdinBytes {
			return nil, usageError("--stdin -: standard input is larger than %s", run.FormatBytes(run.MaxStdinBytes))
		}
		return data, nil
	}
	data, err := hostfs.ReadFile(o.stdinFile, run.MaxStdinBytes)
	if err != nil {
		return nil, usageError("--stdin: %v", err)
	}
	return data, nil
}

// runtimeFor picks the runtime: -r, else what a Markdown fence named, else
// wat for a binary module, else the file's extension, else python.
func runtimeFor(o runOptions, hint, source string, code []byte) string {
	switch {
	case o.runtime != "":
		return o.runtime
	case hint != "":
		return hint
	case runtimes.IsWasmBinary(code):
		return runtimes.WAT
	}
	if rt, ok := runtimes.LanguageForPath(source); ok {
		return rt.Name
	}
	return runtimes.Default
}
