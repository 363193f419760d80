# shellcheck shell=bash
# lib.sh: small helpers shared by build.sh and the recipes: messages, fatal
# errors, timed steps with logs, running a command as root.
#
# Not part of any recipe hash: nothing here changes what a build produces.

# note prints a progress line on stderr.
note() {
	printf 'runtimes: %s\n' "$*" >&2
}

# DIE_STATUS is the exit status of die, so that on_unexpected_error can
# tell a reported failure (possibly in a subshell) from an unexpected one.
DIE_STATUS=3

# die prints ONE clear message (what failed, and the command that fixes it)
# and stops the script.
die() {
	printf '\nruntimes: ERROR: %s\n' "$*" >&2
	exit "$DIE_STATUS"
}

# on_unexpected_error is the ERR trap: a command failed that no die
# reported. Say where, instead of stopping silently.
on_unexpected_error() {
	local status=$? line=${BASH_LINENO[0]} file=${BASH_SOURCE[1]:-build.sh}
	[ "$status" -eq "$DIE_STATUS" ] && exit "$status"
	printf '\nruntimes: ERROR: unexpected failure (status %s) at %s line %s: %s. Retry with: make runtimes; if it fails again, report it with this message\n' \
		"$status" "${file##*/}" "$line" "$BASH_COMMAND" >&2
	# Reported now: a parent shell (this may be a subshell) stays quiet.
	exit "$DIE_STATUS"
}

# seconds_since START prints the whole seconds elapsed since the epoch time START.
seconds_since() {
	echo $(($(date +%s) - $1))
}

# run_step NAME COMMAND... runs COMMAND in a subshell with its output in
# $LOG_DIR/NAME.log, appends "NAME SECONDS" to $STEPS_FILE, and on failure
# stops with the end of the log and the log's path.
run_step() {
	local name=$1
	shift
	local log="$LOG_DIR/$name.log" start rc
	start=$(date +%s.%N)
	note "  step $name ..."
	# errexit is ignored inside a function called from an `if` or `||`, so
	# the step runs as a plain command, in a subshell that sets it afresh.
	set +e
	(
		set -e
		"$@"
	) >"$log" 2>&1
	rc=$?
	set -e
	if [ "$rc" -ne 0 ]; then
		printf '\n----- last lines of %s -----\n' "$log" >&2
		tail -n 30 "$log" >&2
		die "build step '$name' failed (full log: $log). Fix the cause above, then run: make runtimes"
	fi
	local secs
	secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
	printf '%s %s\n' "$name" "$secs" >>"$STEPS_FILE"
	note "  step $name done in ${secs}s"
}

# as_root COMMAND... runs COMMAND as root: directly when we are root, through
# sudo when it exists; otherwise it stops, naming WHAT needs root.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root for: $* (not root, and sudo is not installed). Run it as root, then: make runtimes"
	fi
}

# sha256_of FILE prints the hex sha256 of FILE.
sha256_of() {
	sha256sum "$1" | cut -d' ' -f1
}
