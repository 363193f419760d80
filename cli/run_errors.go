package cli

import (
	"errors"
	"fmt"

	"github.com/wasmplay/wasmplay/config"
	"github.com/wasmplay/wasmplay/playground"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sessions"
)

// limitFlags are the flags that set limits, with the limit each sets.
var limitFlags = []struct {
	flag  string
	field run.Field
	value func(o runOptions) string
}{
	{"--fuel", run.FieldFuel, func(o runOptions) string { return o.fuel }},
	{"--memory", run.FieldMemory, func(o runOptions) string { return o.memory }},
	{"--timeout", run.FieldTimeout, func(o runOptions) string { return o.timeout }},
	{"--stdout-max", run.FieldStdoutMax, func(o runOptions) string { return o.stdoutMax }},
	{"--stderr-max", run.FieldStderrMax, func(o runOptions) string { return o.stderrMax }},
	{"--disk", run.FieldDisk, func(o runOptions) string { return o.disk }},
	{"--files", run.FieldFiles, func(o runOptions) string { return o.files }},
}

// requestLimits turns the limit flags into the request's layer.
func requestLimits(o runOptions) (run.Overrides, error) {
	var layer run.Overrides
	for _, lf := range limitFlags {
		if text := lf.value(o); text != "" {
			if err := layer.Set(lf.field, text); err != nil {
				return layer, usageError("%s: %v", lf.flag, err)
			}
		}
	}
	return layer, nil
}

// phraser names the fields of playground errors as this command's user
// typed them: flags, the config file's keys, the session's saved limits.
func (g *globals) phraser(sess *sessions.Session) func(run.Source, run.Field) string {
	return func(src run.Source, f run.Field) string {
		switch src {
		case run.SourceConfig:
			return config.PolicyKey(f) + " in " + g.dirs.ConfigFile
		case run.SourceSession:
			return fmt.Sprintf("the %s limit session %s keeps (change it with F4 in the app)", f, sess)
		case run.SourceDemo:
			return "the demo's " + string(f) + " limit"
		}
		for _, lf := range limitFlags {
			if lf.field == f {
				return lf.flag
			}
		}
		switch f {
		case run.FieldEnv:
			return "--env"
		case run.FieldMounts:
			return "--mount"
		case run.FieldStdin:
			return "--stdin"
		case run.FieldArgs:
			return "arguments after --"
		case playground.FieldKeepVars:
			return "--keep-state"
		case playground.FieldRuntime:
			return "-r"
		case playground.FieldSession:
			return "--session"
		case playground.FieldCode:
			return "the code"
		}
		return string(f)
	}
}

// startError turns an error of playground.Start into a command error.
func (g *globals) startError(err error, sess *sessions.Session) error {
	var re *playground.RequestError
	var unknown *runtimes.UnknownRuntimeError
	var notBuilt *runtimes.NotBuiltError
	switch {
	case errors.As(err, &unknown), errors.As(err, &notBuilt):
		return &exitError{code: ExitRuntimeUnavailable, err: err}
	case errors.As(err, &re) && re.Field == playground.FieldSession:
		return &exitError{code: ExitUsage, err: fmt.Errorf("session %s: %w", sess, re.Err)}
	case errors.As(err, &re):
		return usageError("%s: %v", g.phraser(sess)(run.SourceRequest, re.Field), re.Err)
	}
	var le *run.LimitError
	var fe *run.FieldError
	if errors.As(err, &le) || errors.As(err, &fe) {
		return usageError("%s", run.Phrase(err, g.phraser(sess)))
	}
	return &exitError{code: ExitHostError, err: err}
}
