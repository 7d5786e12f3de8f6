#!/usr/bin/env bash
# Proves that schemas/platform.schema.json works for editors that use Taplo (Even Better TOML):
#   1. fixtures/example/platform.toml, which names the schema in its first line
#      (`#:schema ../../schemas/platform.schema.json`), passes `taplo lint`;
#   2. a copy of it with an unknown key, a wrong type and two more mistakes fails, and
#      Taplo names every one of them.
# Taplo comes from PyPI (package `taplo`), pinned, into a venv under $PLATC_TOOLS
# (default: target/tools); an existing venv with the right version is reused.
# Taplo itself never touches the network here: HTTP(S) goes to a closed loopback port, so a
# schema that needed fetching (e.g. through its `$id`) would fail the run.
set -euo pipefail

TAPLO_VERSION=0.9.3
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tools="${PLATC_TOOLS:-$root/target/tools}"
venv="$tools/taplo-venv"
taplo="$venv/bin/taplo"
schema="$root/schemas/platform.schema.json"
fixture="$root/fixtures/example/platform.toml"
directive="#:schema ../../schemas/platform.schema.json"

say() { printf 'taplo-test: %s\n' "$*"; }
fail() { printf 'taplo-test: FAIL: %s\n' "$*" >&2; exit 1; }

# --- the tool ---------------------------------------------------------------------------
if [ -x "$taplo" ] && [ "$("$taplo" --version 2>/dev/null)" = "taplo $TAPLO_VERSION" ]; then
    say "reusing $venv (taplo $TAPLO_VERSION)"
else
    say "installing taplo $TAPLO_VERSION from PyPI into $venv"
    rm -rf "$venv"
    mkdir -p "$tools"
    "${PYTHON:-python3}" -m venv "$venv" || fail "could not create a venv with ${PYTHON:-python3} (is python3-venv installed?)"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "taplo==$TAPLO_VERSION" \
        || fail "pip could not install taplo==$TAPLO_VERSION"
    [ "$("$taplo" --version)" = "taplo $TAPLO_VERSION" ] || fail "unexpected $("$taplo" --version)"
fi

# No auto-discovered .taplo.toml (it could exclude the file), no online catalogs, no network.
lint() {
    HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 ALL_PROXY=http://127.0.0.1:9 \
        http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 all_proxy=http://127.0.0.1:9 \
        NO_PROXY= no_proxy= \
        "$taplo" lint --no-auto-config --colors never "$@"
}

# --- preconditions ----------------------------------------------------------------------
[ -f "$schema" ] || fail "missing $schema"
[ -f "$fixture" ] || fail "missing $fixture"
first_line="$(head -n 1 "$fixture")"
[ "$first_line" = "$directive" ] \
    || fail "the first line of fixtures/example/platform.toml must be '$directive' (found '$first_line')"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# --- 1. the example validates -----------------------------------------------------------
say "taplo lint fixtures/example/platform.toml (schema from its #:schema line)"
if ! lint "$fixture" >"$work/good.log" 2>&1; then
    cat "$work/good.log" >&2
    fail "taplo rejects fixtures/example/platform.toml"
fi
say "ok: the example validates against schemas/platform.schema.json"

# --- 2. the check can fail --------------------------------------------------------------
# Same layout as the repository, so the fixture's relative #:schema path finds the copy.
mkdir -p "$work/schemas" "$work/fixtures/example"
cp "$schema" "$work/schemas/platform.schema.json"
broken="$work/fixtures/example/platform.toml"
cp "$fixture" "$broken"
lint "$broken" >"$work/copy.log" 2>&1 || { cat "$work/copy.log" >&2; fail "the unchanged copy does not validate"; }

# An unknown top-level key (right after the #:schema line, before any table), and tables of
# our own at the end so that nothing in the fixture is duplicated.
sed -i '1a colour = "blue"' "$broken"
cat >>"$broken" <<'TOML'

[stages.taplo-probe]
namespace = "{app}-probe"
replicas = "three"

[apps.taplo-probe.services.probe]
port = 8080
tag = "latest"

[apps.taplo-probe.services.probe.stages.taplo-probe.database]
engine = "mysql"
TOML
say "injected: unknown key 'colour', replicas = \"three\", tag = \"latest\", engine in a stage override"

set +e
lint "$broken" >"$work/broken.log" 2>&1
status=$?
set -e
[ "$status" -ne 0 ] || { cat "$work/broken.log" >&2; fail "taplo accepted the broken copy"; }
say "taplo exited with $status on the broken copy, as it must"

missing=0
expect() {
    if grep -qF -- "$1" "$work/broken.log"; then
        say "reported: $2"
    else
        printf 'taplo-test: not reported: %s (expected text: %s)\n' "$2" "$1" >&2
        missing=1
    fi
}
expect "'colour' was unexpected" "unknown key colour"
expect '"three" is not of type "integer"' "wrong type of stages.taplo-probe.replicas"
expect 'is not allowed for "latest"' "tag = \"latest\""
expect "'engine' was unexpected" "engine in a per-stage database override"
if [ "$missing" -ne 0 ]; then
    cat "$work/broken.log" >&2
    fail "taplo did not report every injected problem"
fi

say "2 passed, 0 failed"
