# Shared by the benchmark scripts (source it): wait for a quiet machine,
# since contended figures mean little on a machine busy with something else,
# account for what else ran, find built bench binaries, and find Go.
# wait_quiet needs QUIET_WAIT (seconds to wait at most).

# Percent of CPU time idle over the next second.
idle_pct() {
    local a b
    read -r -a a < <(head -1 /proc/stat)
    sleep 1
    read -r -a b < <(head -1 /proc/stat)
    local total=0 i
    for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
    local idle=$(( b[4] - a[4] + b[5] - a[5] ))
    echo $(( total > 0 ? 100 * idle / total : 0 ))
}

# Waits (up to QUIET_WAIT s) until the CPUs have been at least 90% idle for
# 3 seconds in a row.
wait_quiet() {
    local waited=0 calm=0 pct
    while [ "$waited" -lt "$QUIET_WAIT" ]; do
        pct=$(idle_pct)
        waited=$((waited + 1))
        if [ "$pct" -ge 90 ]; then calm=$((calm + 1)); else calm=0; fi
        if [ "$calm" -ge 3 ]; then
            echo "quiet: ${pct}% idle after ${waited} s"
            return
        fi
    done
    echo "NOT QUIET: last second ${pct:-?}% idle after waiting ${waited} s; figures may be disturbed"
}

# CPU time (seconds, all CPUs) spent busy since boot.
busy_s() {
    local f
    read -r -a f < <(head -1 /proc/stat)
    echo "$(( f[1] + f[2] + f[3] + f[6] + f[7] )) $(getconf CLK_TCK)" | awk '{printf "%.2f", $1 / $2}'
}

# CPU time (seconds) the hypervisor gave to someone else (steal) since boot.
steal_s() {
    local f
    read -r -a f < <(head -1 /proc/stat)
    echo "${f[8]} $(getconf CLK_TCK)" | awk '{printf "%.2f", $1 / $2}'
}

# Builds gosync's bench NAME (without running it) and prints its executable.
bench_exe() {
    cargo bench -p gosync --bench "$1" --no-run --message-format=json 2>/dev/null |
        python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == sys.argv[1]:
        print(m["executable"])
' "$1"
}

# Sets GO to a go binary, unless it is set: the one on PATH, else Debian's
# golang-1.19-go, installed with apt if missing.
find_go() {
    [ -n "${GO:-}" ] && return
    if command -v go > /dev/null; then
        GO=$(command -v go)
        return
    fi
    GO=/usr/lib/go-1.19/bin/go
    if [ ! -x "$GO" ]; then
        echo "installing Go (golang-1.19-go)"
        apt-get update -qq && apt-get install -y -qq golang-1.19-go > /dev/null
    fi
}
