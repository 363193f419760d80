#!/usr/bin/env bash
# End-to-end check of the playground as a person meets it: the real binary
# in tmux, keys sent with send-keys, the screen read with capture-pane.
#
#   .ci/e2e.sh [path/to/wasmplay]      (make e2e)
#
# 1. types a Python program that writes /app/out.txt, runs it with ctrl+r,
#    and checks that its output, the fuel figure and out.txt in the file
#    browser all appear, and that lines ending in \r\n are shown;
# 2. runs `while True: pass`, checks that its fuel moves live, cancels it
#    with ctrl+c, and checks the app is still usable (a third run works);
# 3. keeps variables between runs and imports a package;
# 4. an agent's run through `wasmplay mcp` (driven by the MCP Inspector's
#    CLI) appears live in the app, marked as the agent's; with approval on,
#    one run is approved, one refused with a note, and one edited by the
#    person before it runs, and the agent gets each answer;
# 5. goes from a traceback line in the output to the code, compares two
#    runs side by side and runs one again; reopens a past run, restores
#    its code and runs it again;
# 6. quits with ctrl+q.
set -euo pipefail

cd "$(dirname "$0")/.."
BIN=${1:-./wasmplay}

die() { echo "e2e: FAIL: $*" >&2; exit 1; }

if ! command -v tmux >/dev/null; then
	if [ "$(id -u)" = 0 ]; then
		apt-get install -y -q tmux >/dev/null || die "could not install tmux (apt-get install tmux)"
	else
		die "tmux is needed: sudo apt-get install tmux"
	fi
fi
[ -x "$BIN" ] || die "$BIN is not built (make build)"

WORK=$(mktemp -d)
SOCK="wasmplay-e2e-$$"
cleanup() {
	tmux -L "$SOCK" kill-server 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

export WASMPLAY_SESSIONS_DIR="$WORK/sessions" WASMPLAY_CONFIG="$WORK/config.toml"
# A budget no loop exhausts in a few seconds, so the cancel is what stops it.
cat >"$WORK/config.toml" <<'TOML'
[policy]
fuel = "1T"
TOML

screen() { tmux -L "$SOCK" capture-pane -p -t e2e; }
keys() { tmux -L "$SOCK" send-keys -t e2e "$@"; }
type_line() { keys -l "$1"; keys Enter; }

# wait_for TEXT... [timeout via WAIT=seconds]: until the screen shows all.
wait_for() {
	local deadline=$((SECONDS + ${WAIT:-30})) s text ok
	while [ $SECONDS -lt $deadline ]; do
		s=$(screen)
		ok=1
		for text in "$@"; do
			grep -qF -- "$text" <<<"$s" || { ok=0; break; }
		done
		[ $ok = 1 ] && return 0
		sleep 0.2
	done
	echo "--- screen ---" >&2
	screen >&2
	echo "--- app stderr ---" >&2
	cat "$WORK/stderr" >&2 || true
	die "the screen never showed: $*"
}

tmux -L "$SOCK" new-session -d -s e2e -x 120 -y 40 "$BIN --session e2e 2>$WORK/stderr; echo wasmplay-exited-\$? ; sleep 30"
WAIT=60 wait_for "session e2e" "scratch · python"
echo "e2e: the app is up"

# 1. A program that prints and writes a file.
keys M-a
type_line 'import pathlib'
type_line 'p = pathlib.Path("/app/out.txt")'
type_line 'p.write_text("written by e2e")'
# Lines ending in \r\n (Windows CSV, much LLM code) are shown, not blanked
# by their \r. The text is split in the code, so only the output pane (at
# the screen's left edge, after its border) has it whole.
type_line 'import sys; sys.stdout.write("crlf" + " one\r\n" + "crlf" + " two\r\n")'
keys -l 'print("e2e says", p.read_text())'
keys C-r
WAIT=60 wait_for "e2e says written by e2e" "run 1 · ok" "out.txt" "│crlf one" "│crlf two"
s=$(screen)
grep -qE 'fuel [0-9.]+[kMG]? of 1\.0T' <<<"$s" || { screen >&2; die "no fuel figure in the run summary"; }
grep -qE '[0-9.]+[kMG]? / 1\.0T' <<<"$s" || { screen >&2; die "no fuel figure in the metrics pane"; }
[ -f "$WORK/sessions"/*/workspace/out.txt ] || die "out.txt is not in the session workspace"
echo "e2e: output, \\r\\n lines, fuel and out.txt shown"

# 2. An endless loop, canceled.
keys M-a
keys -l 'while True: pass'
keys C-r
wait_for "● running"
# The metrics pane's live figure ("123.4M / 1.0T") moves while the loop runs.
live_fuel() { screen | grep -oE '[0-9.]+[kMGT]? / 1\.0T' | head -1; }
sleep 0.5
f1=$(live_fuel)
sleep 0.5
f2=$(live_fuel)
[ -n "$f1" ] && [ "$f1" != "$f2" ] || { screen >&2; die "fuel did not move during while True: pass ($f1, then $f2)"; }
keys C-c
wait_for "run 2 · canceled"
keys M-a
keys -l 'print("still usable")'
keys C-r
wait_for "still usable" "run 3 · ok"
echo "e2e: the loop was canceled and the app still works"

# 3. Variables kept between runs (alt+k), and a package from make packages.
keys M-k
wait_for "variables are kept between successful runs"
keys M-a
keys -l 'import yaml; doc = yaml.safe_load("answer: 21")'
keys C-r
wait_for "run 4 · ok" "kept for the next run: doc"
keys M-a
keys -l 'print("doubled", doc["answer"] * 2)'
keys C-r
wait_for "doubled 42" "run 5 · ok"
echo "e2e: variables carried between runs; yaml imported"

# 4. An agent, through the MCP server, watched and answered in the app.
CLIENTS=mcpserver/testdata/clients
[ -x "$CLIENTS/node_modules/.bin/mcp-inspector" ] || die "the MCP Inspector is not installed (make mcp-clients)"
# agent CODE OUT: the agent calls run_code in session e2e (in the background);
# the answer lands in OUT.
agent() {
	local args
	args=$(node -e 'console.log(JSON.stringify({language: "python", session: "e2e", code: process.argv[1]}))' "$1")
	# The Inspector passes the server only the variables -e names.
	node "$CLIENTS/node_modules/.bin/mcp-inspector" --cli -e "WASMPLAY_SESSIONS_DIR=$WASMPLAY_SESSIONS_DIR" \
		-e "WASMPLAY_CONFIG=$WASMPLAY_CONFIG" "$BIN" mcp --method tools/call --tool-name run_code \
		--tool-args-json "$args" >"$2" 2>"$2.err" &
	AGENT=$!
}
# agent_done OUT TEXT: the agent's call returned and its answer holds TEXT.
agent_done() {
	wait "$AGENT" || true
	grep -qF -- "$2" "$1" || { cat "$1" "$1.err" >&2; die "the agent's answer lacks: $2"; }
}
agent 'import time
for i in range(12):
    print("agent line", i, flush=True)
    time.sleep(0.25)' "$WORK/live.json"
WAIT=30 wait_for "agent line 3" "inspector-cli"
kill -0 "$AGENT" 2>/dev/null || die "the agent's run had already ended: the app did not show it live"
wait_for "agent line 11" "run 6 · ok"
agent_done "$WORK/live.json" "agent line 11"
echo "e2e: the agent's run streamed live into the app, marked as the agent's"

keys M-v
wait_for "now wait for your approval"
agent 'print("approved by the person")' "$WORK/approved.json"
wait_for "Approve" "approved by the person"
keys a
agent_done "$WORK/approved.json" '"approved": true'
grep -qF 'approved by the person\n' "$WORK/approved.json" || die "the approved run's output did not reach the agent"
wait_for "run 7 · ok"
agent 'print("this should not run")' "$WORK/refused.json"
wait_for "Approve" "this should not run"
keys r
keys -l "not with my data"
keys Enter
agent_done "$WORK/refused.json" "not with my data"
grep -qF '"isError": true' "$WORK/refused.json" || die "a refused run was not an error for the agent"
echo "e2e: one run approved and one refused, the agent told each time"
agent 'print("as the agent wrote it")' "$WORK/edited.json"
wait_for "Approve" "as the agent wrote it"
keys e
wait_for "edit the agent's code"
keys M-a
keys -l 'print("as the person changed it")'
keys C-r
agent_done "$WORK/edited.json" '"edited": true'
grep -qF 'as the person changed it\n' "$WORK/edited.json" || die "the agent did not get the edited code's output"
grep -qF '+print(\"as the person changed it\")' "$WORK/edited.json" || die "the agent was not shown the diff of the edit"
wait_for "run 8 · ok"
echo "e2e: the person edited the agent's code, ran theirs, and the agent got its result and the diff"

# 5. Debugging by hand: from a traceback in the output to the code, then
#    the runs compared and one run again.
keys M-1
keys M-a
keys -l 'print(1 / 0)'
keys C-r
wait_for "ZeroDivisionError" "run 9 ·"
keys M-2
keys Enter
wait_for "line 1, named by the traceback"
keys M-5
keys d
wait_for "Run 8 against run 9" "print(1 / 0)"
keys q # (Escape then r would reach the app as alt+r)
keys r
wait_for "run 10 · exit_nonzero"
echo "e2e: a traceback line reached from the output; runs compared and one run again"

# 5b. A past run reopened: its code in a read-only tab, restored into the
#     scratch tab, and run again.
keys M-5
keys End # the oldest run, number 1
keys Enter
wait_for "run 1 · read-only" "run 1 from the history" "e2e says written by e2e"
keys e
wait_for "is in the scratch tab"
keys C-r
wait_for "run 11 · ok"
echo "e2e: run 1 reopened in a read-only tab, its code restored and run again"

# 6. Quit.
keys C-q
wait_for "wasmplay-exited-0"
echo "e2e: PASS"
