#!/usr/bin/env bash
# Runs every test of the repository: formatting, lints, unit/golden/CLI/conformance tests and
# the editor-schema test. Needs the Rust toolchain, Python 3 (for the taplo CLI from PyPI) and
# kubectl (for the conformance test).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
cargo test --workspace --locked

step "editor schema (taplo)"
bash tests/taplo/run.sh

step "all tests passed"
