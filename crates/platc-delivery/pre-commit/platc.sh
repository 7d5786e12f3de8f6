#!/usr/bin/env bash
# Entry point of the pre-commit hooks in /.pre-commit-hooks.yaml (`language: script`).
#
# pre-commit runs this from its own checkout of the platc repository, in the user's repository.
# It builds platc from that checkout with cargo (the first run compiles it; later runs reuse the
# build) and runs it with the hook's arguments, e.g. `check` or `validate -c infra/platform.toml`.
# Needs cargo on PATH. Set CARGO_TARGET_DIR to share one build between checkouts.
#
# Why not `language: rust`: pre-commit builds Rust hooks with `cargo install --path .` at the
# repository root, and platc's root Cargo.toml is a virtual workspace manifest, which
# `cargo install --path` refuses.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
exec cargo run --quiet --locked --manifest-path "$root/Cargo.toml" --package platc --bin platc -- "$@"
