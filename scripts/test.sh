#!/usr/bin/env bash
# The whole ClinicDesk test suite, as CI runs it (.ci/run): install
# prerequisites, fetch test data, build and test the screens (ui/), fmt,
# clippy, the update test's packages, build, doctests, nextest (the app's
# window under Xvfb).
# Env: CARGO_TARGET_DIR, CARGO_BUILD_JOBS, CLINICDESK_CACHE override defaults.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

section() { printf '\n==== %s ====\n' "$*"; }

failed=()
# A failing step is recorded rather than fatal, so one run reports every
# problem (say, a fmt diff and a failing test) instead of only the first.
step() {
  local name="$1" start=$SECONDS
  shift
  section "$name"
  if "$@"; then
    echo "---- $name: ok ($((SECONDS - start))s)"
  else
    local rc=$?
    echo "---- $name: FAILED with exit code $rc ($((SECONDS - start))s)"
    failed+=("$name")
  fi
}

section "install prerequisites"
bash scripts/install.sh
export CLINICDESK_INSTALLED=1
# rustup's installer puts cargo here but not every shell has it on PATH.
if ! command -v cargo >/dev/null; then
  export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi

# The target dir lives outside the clone so fresh clones (CI) reuse the build.
export CLINICDESK_CACHE="${CLINICDESK_CACHE:-$HOME/.cache/clinicdesk}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CLINICDESK_CACHE/target}"
# Two cores: more jobs only add memory pressure and contention.
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
export RUST_BACKTRACE="${RUST_BACKTRACE:-1}"

section "fetch test data"
# Set before the fetch scripts, which write where it points.
export CLINICDESK_TEST_DATA="$repo/tests/data/fetched"
bash scripts/fetch-test-data.sh
bash scripts/fetch-code-sets.sh
bash scripts/fetch-dicom-data.sh
# The viewer's window test: a 40-slice CT series made from pydicom's CT.
bash scripts/make-ct-series.sh 40
export CLINICDESK_FHIR_VALIDATOR="$CLINICDESK_CACHE/venv/bin/python $repo/scripts/validate-fhir.py"
export CLINICDESK_X12_VALIDATOR="$CLINICDESK_CACHE/venv/bin/python -m pyx12.scripts.x12valid"
bash models/obtain.sh
bash scripts/fetch-speech-data.sh
export CLINICDESK_MODEL="$repo/models/ggml-tiny.en.bin"

locked=()
if [ -f Cargo.lock ]; then
  locked=(--locked)
fi

# The app embeds the built screens (ui/dist), so they are built first.
step "ui build" npm --prefix ui run build
step "ui check" npm --prefix ui run check
step "ui test" npm --prefix ui test
step "cargo fmt" cargo fmt --all --check
step "cargo clippy" cargo clippy --workspace --all-targets "${locked[@]}" -- -D warnings
# Versions N and N+1 as signed .deb packages for the update test; before the
# build below, which puts back the plain (unpackaged) app binary.
export CLINICDESK_UPDATE_PACKAGES="$CLINICDESK_CACHE/update-test"
step "update test packages" bash scripts/update-test-packages.sh "$CLINICDESK_UPDATE_PACKAGES"
# All targets, with the features the tests use, so nextest builds nothing again.
step "cargo build" cargo build --workspace --all-targets "${locked[@]}"

if [[ " ${failed[*]} " == *" cargo build "* ]]; then
  section "tests skipped: the build failed"
else
  # Doctests first: CI judges a run by the last test runner's summary, and a
  # doctest run with "0 passed" must not be the one it reads.
  step "doctests" bash scripts/with-keyring.sh cargo test --workspace --doc "${locked[@]}"
  step "cargo nextest" bash scripts/with-postgres.sh bash scripts/with-orthanc.sh \
    bash scripts/with-sshd.sh bash scripts/with-keyring.sh bash scripts/with-display.sh \
    cargo nextest run --workspace --no-fail-fast "${locked[@]}"
fi

if [ "${#failed[@]}" -gt 0 ]; then
  section "FAILED steps: $(printf '%s, ' "${failed[@]}" | sed 's/, $//')"
  exit 1
fi
section "all steps passed (${SECONDS}s)"
