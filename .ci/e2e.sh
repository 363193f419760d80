#!/usr/bin/env bash
# End-to-end check of the playground as a person meets it: the real binary
# in tmux, keys sent with send-keys, the screen read with capture-pane.
#
#   .ci/e2e.sh [path/to/wasmplay]      (make e2e)
#
# 1. types a Python program that writes /app/out.txt, runs it with ctrl+r,
#    and checks that its output, the fuel figure and out.txt in the file
#    browser all appear;
# 2. runs `while True: pass`, cancels it with ctrl+c, and checks the app is
#    still usable (a third run works);
# 3. quits with ctrl+q.
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
keys -l 'print("e2e says", p.read_text())'
keys C-r
WAIT=60 wait_for "e2e says written by e2e" "run 1 · ok" "out.txt"
s=$(screen)
grep -qE 'fuel [0-9.]+[kMG]? of 1\.0T' <<<"$s" || { screen >&2; die "no fuel figure in the run summary"; }
grep -qE '[0-9.]+[kMG]? / 1\.0T' <<<"$s" || { screen >&2; die "no fuel figure in the metrics pane"; }
[ -f "$WORK/sessions"/*/workspace/out.txt ] || die "out.txt is not in the session workspace"
echo "e2e: output, fuel and out.txt shown"

# 2. An endless loop, canceled.
keys M-a
keys -l 'while True: pass'
keys C-r
wait_for "● running"
sleep 0.5
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

# 4. Quit.
keys C-q
wait_for "wasmplay-exited-0"
echo "e2e: PASS"
