#!/usr/bin/env bash
# Whole-process benchmarks of the platc binary on synthetic platforms (see BENCHMARKS.md).
#
#   scripts/bench.sh [N...]            N services each (default: 100 1000 5000 10000)
#   scripts/bench.sh --smoke           CI: N=100, consistency checks only (render, no-op render,
#                                      check, drift detection), no timings
#   scripts/bench.sh --update-md [N...]  also rewrite the tables in BENCHMARKS.md
#
# Per N it builds `platc` and `platc-bench` with --release, generates platform.toml with
# `platc-bench gen N`, and measures on tmpfs (/dev/shm, else $TMPDIR):
#   (a) `platc render` into an empty directory,
#   (b) `platc render` again with nothing changed (no-op),
#   (c) `platc check` with the output in sync,
#   (d) the floor: `cp -r` of the very tree platc wrote, timed in the same run,
#   (e) `platc render` after one service's tag changed (the everyday edit; alternates between
#       two configs that differ in that one line),
# and the peak RSS of (a) and (c) with `/usr/bin/time -f %M`. Also `platc check` on the
# reference example. Timings use hyperfine when installed (`apt-get install hyperfine`),
# otherwise a plain loop over bash's $EPOCHREALTIME; medians are reported.
#
# Environment: RUNS (runs per measurement; default 10 for N <= 1000, else 5), SEED (default 42),
# CARGO_TARGET_DIR (as for cargo), BENCH_DIR (scratch directory; default on /dev/shm),
# BENCH_COMMIT (commit named in the report; default `git rev-parse --short HEAD`).
#
# Exit status: non-zero when a build, render or check fails or gives inconsistent results
# (check after render must pass, a second render must change nothing, a modified generated file
# must be reported as drift). Never because of a timing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

SMOKE=0
UPDATE_MD=0
SIZES=()
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) SMOKE=1 ;;
        --update-md) UPDATE_MD=1 ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        -*) echo "error: unknown option $1" >&2; exit 2 ;;
        *)
            if ! [[ "$1" =~ ^[0-9]+$ ]]; then
                echo "error: \`$1\` is not a number of services" >&2
                exit 2
            fi
            SIZES+=("$1")
            ;;
    esac
    shift
done
if [ "$SMOKE" = 1 ]; then
    [ ${#SIZES[@]} -gt 0 ] || SIZES=(100)
    UPDATE_MD=0
elif [ ${#SIZES[@]} -eq 0 ]; then
    SIZES=(100 1000 5000 10000)
fi
SEED=${SEED:-42}

fail() {
    echo "bench: FAILED: $*" >&2
    exit 1
}
note() { echo "bench: $*" >&2; }

# ---- build ---------------------------------------------------------------------------------
# The smoke run checks behaviour, not speed: the debug build (already there after the tests)
# is enough; timings always use --release.
if [ "${SMOKE:-0}" = 1 ]; then
    PROFILE=debug
    note "building platc and platc-bench (debug, smoke run)"
    cargo build --quiet -p platc -p platc-bench || fail "cargo build"
else
    PROFILE=release
    note "building platc and platc-bench (--release)"
    cargo build --release --quiet -p platc -p platc-bench || fail "cargo build --release"
fi
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
case "$TARGET" in /*) ;; *) TARGET=$ROOT/$TARGET ;; esac
# The commit the binaries were built from (taken now: others may commit during a long run).
COMMIT=${BENCH_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
DIRTY=$({ git status --porcelain --untracked-files=no 2>/dev/null || true; } | sed 's/^...//' | tr '\n' ' ')
[ -z "$DIRTY" ] || DIRTY=" + uncommitted changes to ${DIRTY% }"
PLATC=$TARGET/$PROFILE/platc
GEN=$TARGET/$PROFILE/platc-bench
[ -x "$PLATC" ] && [ -x "$GEN" ] || fail "binaries not found in $TARGET/$PROFILE"

if [ -n "${BENCH_DIR:-}" ]; then
    WORK=$BENCH_DIR
    mkdir -p "$WORK"
elif [ -d /dev/shm ] && [ -w /dev/shm ]; then
    WORK=$(mktemp -d /dev/shm/platc-bench.XXXXXX)
else
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/platc-bench.XXXXXX")
fi
cleanup() { [ -n "${BENCH_DIR:-}" ] || rm -rf "$WORK"; }
trap cleanup EXIT

HYPERFINE=$(command -v hyperfine || true)
TIMER="bash loop over \$EPOCHREALTIME"
[ -z "$HYPERFINE" ] || TIMER="hyperfine $("$HYPERFINE" --version | cut -d' ' -f2)"
TIME_BIN=""
if [ -x /usr/bin/time ] && /usr/bin/time -f %M true 2>/dev/null; then TIME_BIN=/usr/bin/time; fi

# ---- helpers -------------------------------------------------------------------------------

# run_ok CMD...: runs a platc command, failing the script (with its output) unless it exits 0.
run_ok() {
    local out
    if ! out=$("$@" 2>&1); then
        echo "$out" | tail -20 >&2
        fail "\`$*\` exited non-zero"
    fi
    printf '%s\n' "$out"
}

# median_of: the median of the numbers on standard input.
median_of() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# measure RUNS PREPARE CMD: "MEDIAN CPU": the median wall time in seconds of CMD (a plain
# command line, no shell syntax) and its mean CPU time (user + system; nan without hyperfine),
# with PREPARE (a shell command, may be empty) run untimed before every run.
measure() {
    local runs=$1 prepare=$2 cmd=$3
    if [ -n "$HYPERFINE" ]; then
        local json=$WORK/hyperfine.json
        local args=(--style none --runs "$runs" --warmup 1 -N --export-json "$json")
        if [ -n "$prepare" ]; then
            # With -N hyperfine runs no shell, so a prepare step with shell syntax is a script.
            printf '%s\n' "$prepare" >"$WORK/prepare.sh"
            args+=(--prepare "sh $WORK/prepare.sh")
        fi
        "$HYPERFINE" "${args[@]}" "$cmd" >/dev/null 2>"$WORK/hyperfine.err" ||
            { cat "$WORK/hyperfine.err" >&2; fail "hyperfine: \`$cmd\`"; }
        # Median wall time, then mean CPU time (user + system) per run.
        local median user system
        median=$(grep -o '"median": *[0-9.eE+-]*' "$json" | sed -n 1p | sed 's/.*: *//')
        user=$(grep -o '"user": *[0-9.eE+-]*' "$json" | sed -n 1p | sed 's/.*: *//')
        system=$(grep -o '"system": *[0-9.eE+-]*' "$json" | sed -n 1p | sed 's/.*: *//')
        awk -v m="$median" -v u="$user" -v s="$system" 'BEGIN { printf "%s %.6f\n", m, u + s }'
    else
        local i start end
        [ -n "$prepare" ] && bash -c "$prepare"
        $cmd >/dev/null 2>&1 || fail "\`$cmd\`" # warm-up
        for ((i = 0; i < runs; i++)); do
            [ -n "$prepare" ] && bash -c "$prepare"
            start=$EPOCHREALTIME
            $cmd >/dev/null 2>&1 || fail "\`$cmd\`"
            end=$EPOCHREALTIME
            awk -v a="$start" -v b="$end" 'BEGIN { printf "%.6f\n", b - a }'
        done | median_of | awk '{ print $1, "nan" }'
    fi
}

# peak_rss_mb CMD...: peak resident set size of CMD in MB (n/a without /usr/bin/time).
peak_rss_mb() {
    if [ -n "$TIME_BIN" ]; then
        local kb
        "$TIME_BIN" -f %M -o "$WORK/rss" "$@" >/dev/null 2>&1 || fail "\`$*\`"
        kb=$(tail -1 "$WORK/rss")
        awk -v k="$kb" 'BEGIN { printf "%.1f", k / 1024 }'
    elif command -v python3 >/dev/null; then
        python3 - "$@" <<'EOF'
import resource, subprocess, sys
if subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode:
    sys.exit(1)
print("%.1f" % (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024))
EOF
    else
        echo "n/a"
    fi
}

ms() { awk -v s="$1" 'BEGIN { if (s == "nan" || s == "") print "n/a"; else if (s < 1) printf "%.1f ms", s * 1000; else printf "%.2f s", s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f×", a / b; else print "n/a" }'; }

# ---- consistency (every mode) --------------------------------------------------------------

# verify DIR CONFIG OUT: render, no-op render, check, drift detection, repair. Exits on failure.
verify() {
    local config=$1 out=$2 first second file rc
    rm -rf "$out"
    mkdir -p "$(dirname "$out")"
    first=$(run_ok "$PLATC" render -c "$config" -o "$out")
    [ -f "$out/.platc-manifest" ] || fail "render wrote no manifest into $out"
    second=$(run_ok "$PLATC" render -c "$config" -o "$out")
    case "$second" in *"up to date"*) ;; *) fail "second render of an unchanged $config was not a no-op: $second" ;; esac
    run_ok "$PLATC" check -c "$config" -o "$out" >/dev/null
    file=$(find "$out" -type f -name '*.yaml' | sort | sed -n 1p)
    [ -n "$file" ] || fail "render of $config wrote no YAML: $first"
    echo "# edited by scripts/bench.sh" >>"$file"
    rc=0
    "$PLATC" check -c "$config" -o "$out" >/dev/null 2>&1 || rc=$?
    [ "$rc" = 1 ] || fail "check after editing a generated file ($file) exited $rc instead of 1"
    second=$(run_ok "$PLATC" render -c "$config" -o "$out")
    case "$second" in *"1 written"*) ;; *) fail "render after an edit did not rewrite exactly one file: $second" ;; esac
    run_ok "$PLATC" check -c "$config" -o "$out" >/dev/null
}

EXAMPLE=$ROOT/fixtures/example/platform.toml
verify "$EXAMPLE" "$WORK/example/deploy"

# ---- per N ---------------------------------------------------------------------------------
ROWS=()
declare -A RENDER CPU FILES
for n in "${SIZES[@]}"; do
    dir=$WORK/n$n
    mkdir -p "$dir"
    "$GEN" gen "$n" --seed "$SEED" >"$dir/platform.toml" || fail "platc-bench gen $n"
    verify "$dir/platform.toml" "$dir/deploy"
    expected=$("$GEN" layout "$n" --seed "$SEED" | sed -n 1p | sed -n 's/.*: \([0-9]*\) files.*/\1/p')
    files=$(find "$dir/deploy" -type f ! -name .platc-manifest | wc -l)
    [ "$files" = "$expected" ] || fail "N=$n: $files files on disk, but the tree has $expected"
    FILES[$n]=$files
    if [ "$SMOKE" = 1 ]; then
        note "N=$n: render, no-op render, check and drift detection OK ($files files)"
        continue
    fi
    runs=${RUNS:-$([ "$n" -le 1000 ] && echo 10 || echo 5)}
    note "N=$n ($files files): measuring, $runs runs each"
    cfg=$dir/platform.toml
    fresh=$dir/fresh
    m=$(measure "$runs" "rm -rf $fresh && mkdir $fresh" "$PLATC render -c $cfg -o $fresh")
    read -r render render_cpu <<<"$m"
    m=$(measure "$runs" "rm -rf $dir/floor" "cp -r $dir/deploy $dir/floor")
    read -r floor _ <<<"$m"
    m=$(measure "$runs" "" "$PLATC render -c $cfg -o $dir/deploy")
    read -r noop _ <<<"$m"
    m=$(measure "$runs" "" "$PLATC check -c $cfg -o $dir/deploy")
    read -r check _ <<<"$m"
    # (e) the everyday case: one service's tag changed since the last render. Each run renders
    # the other of two configs that differ in that one line.
    sed '0,/^tag = "/s//tag = "9/' "$cfg" >"$dir/edited.toml"
    cmp -s "$cfg" "$dir/edited.toml" && fail "N=$n: no tag to edit in $cfg"
    cp "$cfg" "$dir/a.toml"
    cp "$cfg" "$dir/live.toml"
    m=$(measure "$runs" "if cmp -s $dir/live.toml $dir/a.toml; then cp $dir/edited.toml $dir/live.toml; else cp $dir/a.toml $dir/live.toml; fi" "$PLATC render -c $dir/live.toml -o $dir/deploy")
    read -r edit _ <<<"$m"
    run_ok "$PLATC" render -c "$cfg" -o "$dir/deploy" >/dev/null
    rm -rf "$fresh" && mkdir "$fresh"
    rss_render=$(peak_rss_mb "$PLATC" render -c "$cfg" -o "$fresh")
    rss_check=$(peak_rss_mb "$PLATC" check -c "$cfg" -o "$dir/deploy")
    rm -rf "$fresh" "$dir/floor"
    RENDER[$n]=$render
    CPU[$n]=$render_cpu
    ROWS+=("| $n | $files | $(ms "$render") | $(ms "$render_cpu") | $(ms "$floor") | $(ratio "$render" "$floor") | $(ms "$noop") | $(ms "$edit") | $(ms "$check") | $rss_render / $rss_check |")
done

if [ "$SMOKE" = 1 ]; then
    echo "bench smoke: OK (example and N=${SIZES[*]}: render, no-op render, check, drift detection; no timings)"
    exit 0
fi

m=$(measure 20 "" "$PLATC check -c $EXAMPLE -o $WORK/example/deploy")
read -r example_check _ <<<"$m"
example_rss=$(peak_rss_mb "$PLATC" check -c "$EXAMPLE" -o "$WORK/example/deploy")

# ---- report --------------------------------------------------------------------------------
TABLE=$(
    echo "| N services | files | render (empty dir) | render CPU (user+sys) | floor: \`cp -r\` | render / floor | no-op render | one service edited | check (in sync) | peak RSS MB (render / check) |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${ROWS[@]}"
)
# Growth: every pair of sizes where one is 10× the other (the target: 10× the services in at
# most 11× the time), else consecutive sizes against the same 1.1 factor.
growth_line() {
    awk -v a="$1" -v b="$2" -v ta="${RENDER[$1]}" -v tb="${RENDER[$2]}" -v ca="${CPU[$1]}" -v cb="${CPU[$2]}" 'BEGIN {
        f = b / a; r = tb / ta
        cpu = (ca == "nan" || cb == "nan") ? "" : sprintf(", CPU time %.1f×", cb / ca)
        printf "- render time(%d) / time(%d) = %.1f× for %g× the services (target ≤ %.1f×): %s%s\n", b, a, r, f, f * 1.1, (r <= f * 1.1 ? "met" : "**not met**"), cpu
    }'
}
GROWTH=$(
    tens=0
    for a in "${SIZES[@]}"; do
        for b in "${SIZES[@]}"; do
            if [ "$b" -eq $((a * 10)) ] && [ "$a" -gt 0 ]; then
                growth_line "$a" "$b"
                tens=1
            fi
        done
    done
    if [ "$tens" = 0 ]; then
        prev=""
        for n in "${SIZES[@]}"; do
            [ -z "$prev" ] || [ "$prev" -eq 0 ] || growth_line "$prev" "$n"
            prev=$n
        done
    fi
)
EXTRA="- \`platc check\` on the reference example: $(ms "$example_check") (target ≤ 20 ms), peak RSS $example_rss MB"
MACHINE="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, Linux $(uname -r), $(rustc --version 2>/dev/null | cut -d' ' -f1-2), commit $COMMIT$DIRTY, timer: $TIMER, $(date -u +%Y-%m-%d)"

echo
echo "$MACHINE"
echo
echo "$TABLE"
echo
echo "$GROWTH"
echo "$EXTRA"

if [ "$UPDATE_MD" = 1 ]; then
    md=$ROOT/BENCHMARKS.md
    [ -f "$md" ] || fail "$md not found"
    grep -q '<!-- bench:begin -->' "$md" && grep -q '<!-- bench:end -->' "$md" ||
        fail "$md has no <!-- bench:begin --> / <!-- bench:end --> markers"
    block=$WORK/block.md
    {
        echo "<!-- bench:begin -->"
        echo "Measured by \`scripts/bench.sh --update-md ${SIZES[*]}\`: $MACHINE."
        echo
        echo "$TABLE"
        echo
        echo "$GROWTH"
        echo "$EXTRA"
        echo "<!-- bench:end -->"
    } >"$block"
    awk -v block="$block" '
        /<!-- bench:begin -->/ { while ((getline line < block) > 0) print line; skip = 1; next }
        /<!-- bench:end -->/ { skip = 0; next }
        !skip { print }
    ' "$md" >"$md.tmp" && mv "$md.tmp" "$md"
    note "updated $md"
fi
