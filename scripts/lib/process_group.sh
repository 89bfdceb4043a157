# Process-group control shared by the test-bed scripts (testbed.sh, mariadb.sh,
# elasticsearch.sh). Each server runs in its own session (setsid), so its pid is also its
# process-group id and `kill -- -PGID` reaches every process it forked.
# Sourced, not run: the caller defines log() and die().

group_alive() { kill -0 -- "-$1" 2>/dev/null; }

# Prints the process group recorded in pidfile $1 when it is alive and ours: its leader, if
# still there, must mention $2 (the directory it was started for) on its command line, so a
# recycled pid is never taken for it. Fails otherwise.
owned_pgid() {
  local pidfile="$1" marker="$2" pgid
  pgid="$(cat "$pidfile" 2>/dev/null || true)"
  [[ "$pgid" =~ ^[0-9]+$ ]] || return 1
  group_alive "$pgid" || return 1
  if [ -r "/proc/$pgid/cmdline" ] && ! tr '\0' ' ' < "/proc/$pgid/cmdline" | grep -qF "$marker"; then
    return 1
  fi
  echo "$pgid"
}

# Stops process group $1 (called $2 in messages): SIGTERM, $3 seconds of grace, then
# SIGKILL; returns once the group is gone, dies if it survives.
stop_process_group() {
  local pgid="$1" name="$2" grace="$3" i
  log "stopping $name (process group $pgid)"
  kill -TERM -- "-$pgid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do group_alive "$pgid" || break; sleep 0.1; done
  if group_alive "$pgid"; then
    log "$name did not stop within $grace s of SIGTERM; sending SIGKILL"
    kill -KILL -- "-$pgid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do group_alive "$pgid" || break; sleep 0.1; done
    group_alive "$pgid" && die "process group $pgid ($name) survived SIGKILL"
  fi
  return 0
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
