#!/usr/bin/env bash
# Proves /.pre-commit-hooks.yaml with the pre-commit framework itself, end to end:
#   1. platc-validate passes on a repository holding fixtures/minimal/platform.toml;
#   2. platc-check fails before a render (no output yet), passes after `platc render`;
#   3. platc-check fails when platform.toml changes without a render (drift);
#   4. both hooks fail when platform.toml is broken, and the diagnostic names the problem.
# The first two runs go through `pre-commit try-repo`, which clones the hook repository, reads
# .pre-commit-hooks.yaml and runs the hook's entry; the rest through `pre-commit run` with a
# .pre-commit-config.yaml naming the hook repository and revision, as a user would. Either way
# the hook definitions are what is tested. (try-repo clones into a new temporary directory each
# time, so cargo rebuilds the workspace crates on every call; `run` reuses its clone.)
#
# The hook repository is a snapshot of this working tree (tracked and untracked, not ignored
# files) committed into a temporary git repository: `try-repo .` would leave out untracked files.
# pre-commit comes from PyPI, pinned, into a venv under $PLATC_TOOLS (default: target/tools),
# reused when present. The hooks build platc with cargo from the clone (crates.io must be
# reachable the first time); CARGO_TARGET_DIR is set under $PLATC_TOOLS so that later runs reuse
# that build. Needs git, python3 and cargo.
set -euo pipefail

PRE_COMMIT_VERSION=4.7.0
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tools="${PLATC_TOOLS:-$root/target/tools}"
venv="$tools/pre-commit-venv"
pre_commit="$venv/bin/pre-commit"
fixture="$root/fixtures/minimal/platform.toml"

say() { printf 'pre-commit-test: %s\n' "$*"; }
fail() { printf 'pre-commit-test: FAIL: %s\n' "$*" >&2; exit 1; }

# --- the tool ---------------------------------------------------------------------------
if [ -x "$pre_commit" ] && [ "$("$pre_commit" --version 2>/dev/null)" = "pre-commit $PRE_COMMIT_VERSION" ]; then
    say "reusing $venv (pre-commit $PRE_COMMIT_VERSION)"
else
    say "installing pre-commit $PRE_COMMIT_VERSION from PyPI into $venv"
    rm -rf "$venv"
    mkdir -p "$tools"
    "${PYTHON:-python3}" -m venv "$venv" || fail "could not create a venv with ${PYTHON:-python3}"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "pre-commit==$PRE_COMMIT_VERSION" \
        || fail "pip could not install pre-commit==$PRE_COMMIT_VERSION"
fi
command -v git >/dev/null || fail "git is not on PATH"
command -v cargo >/dev/null || fail "cargo is not on PATH"
[ -f "$root/.pre-commit-hooks.yaml" ] || fail "missing $root/.pre-commit-hooks.yaml"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export PRE_COMMIT_HOME="$work/pre-commit-home" # pre-commit's clones: fresh every run
export CARGO_TARGET_DIR="$tools/pre-commit-target"
git_quiet() { git -c user.name=platc-test -c user.email=platc-test@invalid -c commit.gpgsign=false "$@"; }

# --- the hook repository: a snapshot of this working tree --------------------------------
hooks="$work/platc"
mkdir -p "$hooks"
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$root" && git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
        tar --null -T - -cf -) | tar -xf - -C "$hooks"
else
    (cd "$root" && tar --exclude=./target --exclude=./.git -cf - .) | tar -xf - -C "$hooks"
fi
git_quiet -C "$hooks" init -q
git_quiet -C "$hooks" add -A
git_quiet -C "$hooks" commit -q -m "snapshot for the pre-commit test"
say "hook repository: snapshot of $root ($(git -C "$hooks" ls-files | wc -l) files) at $hooks"

# --- the repository that uses the hooks ---------------------------------------------------
infra="$work/infra"
mkdir -p "$infra"
cp "$fixture" "$infra/platform.toml"
git_quiet -C "$infra" init -q
git_quiet -C "$infra" add platform.toml
say "infrastructure repository: $infra with fixtures/minimal/platform.toml"

passed=0
failed=0
# try HOOK EXPECT(pass|fail) WHAT [TEXT]: runs the hook through try-repo (or, once
# .pre-commit-config.yaml exists, through `pre-commit run`); TEXT must appear in its output.
try() {
    local hook=$1 expect=$2 what=$3 text=${4:-} status start secs
    start=$(date +%s)
    set +e
    if [ -f "$infra/.pre-commit-config.yaml" ]; then
        (cd "$infra" && "$pre_commit" run "$hook" --all-files --color never) >"$work/out.log" 2>&1
    else
        (cd "$infra" && "$pre_commit" try-repo "$hooks" "$hook" --all-files --color never) >"$work/out.log" 2>&1
    fi
    status=$?
    set -e
    secs=$(($(date +%s) - start))
    local ok=1
    if [ "$expect" = pass ] && [ "$status" -ne 0 ]; then ok=0; fi
    if [ "$expect" = fail ] && [ "$status" -eq 0 ]; then ok=0; fi
    if [ -n "$text" ] && ! grep -qF -- "$text" "$work/out.log"; then ok=0; fi
    if [ "$ok" = 1 ]; then
        say "ok: $hook $expect${text:+s with \"$text\"} — $what (exit $status, ${secs}s)"
        grep -F '[WARNING]' "$work/out.log" | grep -vF 'uncommitted changes' | sed 's/^/    /' || true
        passed=$((passed + 1))
    else
        printf 'pre-commit-test: not ok: %s should %s%s — %s (exit %s, %ss); output:\n' \
            "$hook" "$expect" "${text:+ with \"$text\"}" "$what" "$status" "$secs" >&2
        sed 's/^/    /' "$work/out.log" >&2
        failed=$((failed + 1))
    fi
}

try platc-validate pass "valid platform.toml (the first run builds platc with cargo)"
try platc-check fail "nothing rendered yet" "is out of date"

platc="$CARGO_TARGET_DIR/debug/platc"
[ -x "$platc" ] || fail "the hook did not build $platc"
(cd "$infra" && "$platc" render -c platform.toml >/dev/null) || fail "platc render failed"
cat >"$infra/.pre-commit-config.yaml" <<YAML
repos:
  - repo: $hooks
    rev: $(git -C "$hooks" rev-parse HEAD)
    hooks:
      - id: platc-validate
      - id: platc-check
YAML
git_quiet -C "$infra" add -A
say "rendered deploy/ with the hook's platc, wrote .pre-commit-config.yaml (from now on: pre-commit run)"
try platc-check pass "deploy/ is what platform.toml renders to"

sed -i 's/^tag = "1.0.0"$/tag = "1.0.1"/' "$infra/platform.toml"
grep -q '^tag = "1.0.1"$' "$infra/platform.toml" || fail "could not change the tag in the copy"
try platc-check fail "platform.toml changed, deploy/ not re-rendered" "is out of date"

sed -i 's/^port = 8080$/port = "eighty"/' "$infra/platform.toml"
grep -q '^port = "eighty"$' "$infra/platform.toml" || fail "could not break the copy"
try platc-validate fail "port is a string" "platc::"
try platc-check fail "port is a string" "platc::"

say "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
