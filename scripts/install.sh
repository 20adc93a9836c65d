#!/usr/bin/env bash
# Install what building and testing ClinicDesk needs on Debian 12. Idempotent,
# and near-instant when everything is already there (test.sh runs it first).
set -euo pipefail
cd "$(dirname "$0")/.."

# pkg-config, libssl-dev: rusqlite's bundled SQLCipher. libdbus-1-dev: the
# keyring crate's Secret Service backend. gnome-keyring, dbus,
# libsecret-tools: a real keyring for tests (scripts/with-keyring.sh). tcl:
# SQLCipher's build. python3-venv: the FHIR validator's venv. xvfb, xauth:
# a display for GUI tests on headless machines. postgresql: the clinic
# server's PostgreSQL backend, tested on a throwaway cluster
# (scripts/with-postgres.sh). libwebkit2gtk-4.1-dev, libgtk-3-dev,
# librsvg2-dev, libsoup-3.0-dev: the desktop app's window (Tauri).
# webkit2gtk-driver: WebKitWebDriver, which drives that window in the
# end-to-end tests. sudo: how the app's updater installs a package where no
# graphical prompt (pkexec) is available, as in the update test.
# cmake: the imaging crate's JPEG-LS codec (CharLS, C++, built from source)
# and Scribe's whisper.cpp. clang, libclang-dev: whisper-rs-sys's bindgen.
# libasound2-dev: Scribe's microphone recording (cpal on ALSA). espeak-ng,
# ffmpeg: the Scribe tests' synthesized dictation and its MP3/OGG/FLAC/M4A
# copies (scripts/fetch-speech-data.sh). orthanc, orthanc-dicomweb, curl: a
# throwaway PACS for the DICOMweb tests (scripts/with-orthanc.sh).
# openssh-server: a throwaway SFTP server for the clearinghouse drop tests
# (scripts/with-sshd.sh). openjph-tools: OpenJPH's HTJ2K encoder, which makes
# the imaging tests' HTJ2K files (scripts/fetch-dicom-data.sh).
APT_PACKAGES=(pkg-config libssl-dev libdbus-1-dev gnome-keyring dbus libsecret-tools
  tcl build-essential ca-certificates python3-venv xvfb xauth postgresql
  libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libsoup-3.0-dev webkit2gtk-driver sudo
  cmake clang libclang-dev libasound2-dev espeak-ng ffmpeg orthanc orthanc-dicomweb curl
  openssh-server openjph-tools)
MIN_RUST=1.90

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    echo "install: need root (or sudo) to run: $*" >&2
    return 1
  fi
}

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" != "install ok installed" ]; then
    missing+=("$pkg")
  fi
done
# Node is on the usual machine image; only a bare Debian needs Debian's.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install: apt packages: ${missing[*]}"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# rustup's installer puts cargo here but not every shell has it on PATH.
if ! command -v cargo >/dev/null && [ -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo" ]; then
  export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi
if ! command -v cargo >/dev/null; then
  echo "install: cargo not found. A Rust toolchain >= $MIN_RUST is required: install it with rustup (https://rustup.rs)." >&2
  exit 1
fi
rust_version="$(rustc --version | awk '{print $2}')"
if [ "$(printf '%s\n' "$MIN_RUST" "$rust_version" | sort -V | head -n 1)" != "$MIN_RUST" ]; then
  echo "install: Rust $rust_version is too old; >= $MIN_RUST is required (rustup update)." >&2
  exit 1
fi

if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  if ! command -v rustup >/dev/null; then
    echo "install: rustfmt and clippy are required; add them to your Rust toolchain." >&2
    exit 1
  fi
  if ! rustup component add rustfmt clippy; then
    echo "install: could not add rustfmt/clippy with rustup (offline?); they are required for scripts/test.sh." >&2
    exit 1
  fi
fi

if ! cargo nextest --version >/dev/null 2>&1; then
  echo "install: building cargo-nextest"
  cargo install cargo-nextest --locked
fi

# The bridge between WebDriver clients and the app's window, for the
# end-to-end tests (tests/app.rs).
if ! command -v tauri-driver >/dev/null; then
  echo "install: building tauri-driver"
  cargo install tauri-driver --version '^2' --locked
fi

# The screens: npm packages at the versions in ui/package-lock.json. Not
# `npm ci`: the lock holds no entries for other platforms' optional builds
# (rollup, esbuild), which `npm ci` insists on.
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "install: npm packages for ui/"
  npm --prefix ui install --no-audit --no-fund
fi

if [ "${#missing[@]}" -gt 0 ]; then apt_note="installed ${missing[*]}"; else apt_note="all present"; fi
echo "install: ok: rustc $rust_version, $(cargo nextest --version | head -n 1 | awk '{print $1, $2}'), node $(node --version), $(python3 --version), apt packages $apt_note"
