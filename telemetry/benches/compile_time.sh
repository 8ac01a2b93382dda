#!/usr/bin/env bash
# Compile-time cost of each telemetry macro, per declaration, at `cargo check`.
#
# For each kind it writes a throwaway crate with N declarations in one file, and the
# same file without the macro as a baseline, both depending on this workspace's
# `telemetry` by path. It builds their dependencies once, then times `cargo check` of
# just that crate RUNS times (rewriting the file's mtime before each run) and prints
# the medians of wall-clock and CPU time and (median - baseline median) / N.
#
#   telemetry/benches/compile_time.sh                 # every kind, N=2000, RUNS=5
#   N=500 RUNS=7 telemetry/benches/compile_time.sh counted-methods counter
#
# Kinds: counted-methods (in impls of 10 methods), counted-fns, counter, histogram
# (4 bounds), stack-counter. Everything lives under $OUT (default
# /tmp/telemetry-compile-time), with its own target dir, so it never waits on or
# invalidates the workspace's build. Cargo's own default applies, as for a user's
# `cargo check`: incremental, so a run after `touch` expands every macro again but
# reuses what the compiler derived from unchanged items (an edit elsewhere in the file).
# CARGO_INCREMENTAL=0 measures a whole check instead (a clean build, CI).
# Machines with few shared cores are noisy: compare medians of one invocation.
#
# WORKSPACE points at another checkout of this workspace to measure it instead (for
# example an unpacked `git archive` of an older commit, to compare before and after).
#
# MEASURE=instructions counts instead the instructions rustc executes for one whole
# check of the crate (CARGO_INCREMENTAL=0 unless set), under valgrind's cachegrind:
# unlike time, the count barely moves when other work shares the machine. About 40
# times slower than a check; use a smaller N. With CARGO_INCREMENTAL=1 it counts one
# check after `touch`, as the timed runs are, after a first one has left a session.
set -euo pipefail
shopt -s inherit_errexit

root=${WORKSPACE:-$(cd "$(dirname "$0")/../.." && pwd)}
N=${N:-2000}
RUNS=${RUNS:-5}
MEASURE=${MEASURE:-time}
if [ "$MEASURE" = instructions ]; then
    export CARGO_INCREMENTAL=${CARGO_INCREMENTAL-0} # a whole check, counted once
fi
OUT=${OUT:-/tmp/telemetry-compile-time}
export CARGO_TARGET_DIR="$OUT/target"
export CARGO_TERM_COLOR=never
unset RUSTFLAGS RUSTC_WRAPPER

if [ $# -gt 0 ]; then
    kinds=("$@")
else
    kinds=(counted-methods counted-fns counter histogram stack-counter)
fi

# The body of declaration $1 ($2 = 1 with telemetry, 0 for the baseline), on stdout.
generate() {
    local kind=$1 with=$2
    echo "//! $N declarations of kind $kind (telemetry: $with)."
    echo "#![allow(dead_code)]"
    echo "use telemetry as _;"
    awk -v n="$N" -v kind="$kind" -v with="$with" 'BEGIN {
        if (kind == "counted-methods") {
            for (i = 0; i < n; i += 10) {
                t = i / 10
                printf "pub struct T%d;\nimpl T%d {\n", t, t
                for (j = i; j < i + 10 && j < n; j++) {
                    if (with) print "    #[telemetry::counted]"
                    printf "    pub fn m%d(&self) -> u64 {\n        %d\n    }\n", j - i, j
                }
                print "}"
            }
            exit
        }
        for (i = 0; i < n; i++) {
            if (kind == "counted-fns") {
                if (with) print "#[telemetry::counted]"
                printf "pub fn f%d() -> u64 {\n    %d\n}\n", i, i
                continue
            }
            printf "pub fn f%d() -> u64 {\n", i
            if (with && kind == "counter")
                printf "    telemetry::counter!(\"bench/c-%d\").inc();\n", i
            if (with && kind == "histogram")
                printf "    telemetry::histogram!(\"bench/h-%d\", [10, 50, 100, 500]).record(%d);\n", i, i
            if (with && kind == "stack-counter")
                printf "    telemetry::stack_counter!(\"bench/s-%d\", depth = 8).inc();\n", i
            printf "    %d\n}\n", i
        }
    }'
}

# The package name of the facade (its library is `telemetry` either way).
package=$(sed -n 's/^name = "\(.*\)"$/\1/p' "$root/telemetry/Cargo.toml" | head -n 1)

# Writes crate $1 (directory name) holding the declarations of $2, telemetry $3.
write_crate() {
    local dir="$OUT/crates/$1"
    mkdir -p "$dir/src"
    cat >"$dir/Cargo.toml" <<EOF
[package]
name = "ct-$1"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
telemetry = { package = "$package", path = "$root/telemetry" }

[workspace]
EOF
    cp "$root/Cargo.lock" "$dir/Cargo.lock"
    generate "$2" "$3" >"$dir/src/lib.rs"
}

# "wall cpu": medians in ms over RUNS timed checks of crate $1, after a warming one.
# cpu is the user + system time of cargo and rustc: less disturbed than wall-clock time
# by other work on a shared machine.
time_check() {
    local dir="$OUT/crates/$1" log="$OUT/crates/$1.log" walls=() cpus=() t
    local TIMEFORMAT='%R %U %S'
    check() {
        if ! cargo check -q --offline --manifest-path "$dir/Cargo.toml" >"$log" 2>&1; then
            cat "$log" >&2
            return 1
        fi
    }
    check # warm: builds the dependencies
    for _ in $(seq "$RUNS"); do
        touch "$dir/src/lib.rs"
        t=$({ time check; } 2>&1)
        walls+=("$(echo "$t" | awk '{ printf "%d", $1 * 1000 }')")
        cpus+=("$(echo "$t" | awk '{ printf "%d", ($2 + $3) * 1000 }')")
    done
    echo "$(median "${walls[@]}") $(median "${cpus[@]}")"
}

# Millions of instructions rustc executes checking crate $1 (MEASURE=instructions).
# Cargo's fingerprint of the crate includes the wrapper, so the warming checks run
# through it too (natively): otherwise the counted check would be the first of its
# configuration and, incremental, would find no previous session to reuse.
count_check() {
    local dir="$OUT/crates/$1" log="$OUT/crates/$1.log" wrapper="$OUT/valgrind-rustc"
    cat >"$wrapper" <<'EOF'
#!/bin/sh
# cargo calls this as `wrapper rustc args…`; only the generated crate runs under
# valgrind, and only when a log is named.
case " $* " in
*" --crate-name ct_"*)
    if [ -n "$TELEMETRY_VALGRIND_LOG" ]; then
        exec valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
            --log-file="$TELEMETRY_VALGRIND_LOG" "$@"
    fi
    ;;
esac
exec "$@"
EOF
    chmod +x "$wrapper"
    wrapped() {
        if ! TELEMETRY_VALGRIND_LOG="$1" RUSTC_WORKSPACE_WRAPPER="$wrapper" \
            cargo check -q --offline --manifest-path "$dir/Cargo.toml" >"$log" 2>&1; then
            cat "$log" >&2
            return 1
        fi
    }
    # Warm: the dependencies, then a check after `touch` as the counted one will be.
    wrapped ""
    touch "$dir/src/lib.rs"
    wrapped ""
    touch "$dir/src/lib.rs"
    rm -f "$log.valgrind"
    wrapped "$log.valgrind"
    awk '/I *refs:/ { gsub(",", "", $NF); printf "%d", $NF / 1000000 }' "$log.valgrind"
}

median() {
    printf '%s\n' "$@" | sort -n | awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }'
}

echo "N=$N RUNS=$RUNS MEASURE=$MEASURE CARGO_INCREMENTAL=${CARGO_INCREMENTAL-unset} $(rustc --version)"
if [ "$MEASURE" = instructions ]; then
    echo "millions of instructions; per declaration: (with - baseline) / N, in thousands"
    printf '%-16s %9s %9s %9s\n' kind instr base "k/decl"
else
    echo "medians in ms; per declaration: (with - baseline) / N, in µs"
    printf '%-16s %9s %9s %9s | %9s %9s %9s\n' kind wall base "µs/decl" cpu base "µs/decl"
fi
for kind in "${kinds[@]}"; do
    case $kind in
    counted-methods | counted-fns | counter | histogram | stack-counter) ;;
    *)
        echo "unknown kind: $kind" >&2
        exit 2
        ;;
    esac
    write_crate "$kind" "$kind" 1
    write_crate "$kind-baseline" "$kind" 0
    if [ "$MEASURE" = instructions ]; then
        with=$(count_check "$kind")
        without=$(count_check "$kind-baseline")
        printf '%-16s %9d %9d %9d\n' "$kind" "$with" "$without" \
            $(((with - without) * 1000 / N))
        continue
    fi
    with=$(time_check "$kind")
    without=$(time_check "$kind-baseline")
    read -r wall cpu <<<"$with"
    read -r base_wall base_cpu <<<"$without"
    printf '%-16s %9d %9d %9d | %9d %9d %9d\n' "$kind" \
        "$wall" "$base_wall" $(((wall - base_wall) * 1000 / N)) \
        "$cpu" "$base_cpu" $(((cpu - base_cpu) * 1000 / N))
done
