#!/usr/bin/env bash
# Fetch and make the speech the Scribe tests transcribe, into
# tests/data/fetched/speech/ (gitignored). Idempotent: skipped when the stamp
# matches.
#  - pocketsphinx/: real recorded speech with reference transcripts from the
#    test data of the PyPI pocketsphinx 5.1.1 sdist (LibriVox read speech,
#    "go forward ten meters", spoken card names), each as NAME.wav + NAME.txt;
#  - dictation/: clinical dictation synthesized with espeak-ng (dictation.wav,
#    ~40 s, longer than one Whisper window) and copies of a short clip in
#    MP3, OGG Vorbis, FLAC, M4A/AAC and 44.1 kHz stereo WAV made with ffmpeg,
#    for the format tests.
# Env: CLINICDESK_CACHE (pip's venv).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cache="${CLINICDESK_CACHE:-$HOME/.cache/clinicdesk}"
speech="$repo/tests/data/fetched/speech"

# The sha256 is the sdist's as pip downloads it: it pins the data.
PS_PKG=pocketsphinx==5.1.1
PS_SHA256=675778b309a22dfc9b7d37f7621976bba491d2a5f8c59696bd77fd6d07271355

# Each line is one sentence; the reference transcript is their text.
DICTATION="The patient presents with a dry cough and a mild fever since last weekend.
She denies chest pain, shortness of breath, or swelling in her legs.
On examination the lungs are clear and the heart sounds are normal.
Blood pressure is within normal limits and she appears comfortable.
The assessment is an upper respiratory infection, most likely viral.
The plan is rest, fluids, and acetaminophen as needed for fever.
She will return to the clinic if her symptoms worsen or do not improve.
Follow up with her primary care physician for routine blood work next month."
SHORT="Please schedule a follow up visit for the patient next week."

stamp_value="$PS_PKG $(printf '%s\n%s' "$DICTATION" "$SHORT" | sha256sum | cut -c1-16) v1"
if [ -f "$speech/.stamp" ] && [ "$(cat "$speech/.stamp")" = "$stamp_value" ]; then
  echo "fetch-speech-data: already in ${speech#"$repo"/}"
  exit 0
fi
for tool in espeak-ng ffmpeg python3; do
  command -v "$tool" >/dev/null || { echo "fetch-speech-data: $tool not found; run scripts/install.sh" >&2; exit 1; }
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/out/pocketsphinx" "$tmp/out/dictation"

venv="$cache/venv-scribe"
if [ ! -x "$venv/bin/pip" ]; then
  echo "fetch-speech-data: creating venv at $venv"
  mkdir -p "$cache"
  python3 -m venv "$venv"
fi
echo "fetch-speech-data: downloading $PS_PKG (sdist)"
"$venv/bin/pip" download --quiet --disable-pip-version-check --no-input --no-deps \
  --no-binary pocketsphinx "$PS_PKG" -d "$tmp/ps"
echo "$PS_SHA256  $tmp/ps/pocketsphinx-5.1.1.tar.gz" | sha256sum --check --quiet
tar -xzf "$tmp/ps/pocketsphinx-5.1.1.tar.gz" -C "$tmp/ps" --strip-components=1 \
  --wildcards '*/test/data/librivox/*' '*/test/data/cards/*' '*/test/data/goforward.raw'

# Transcription files are "<s> words </s> (id)" (the sentence markers are
# optional); goforward.raw is headerless 16 kHz 16-bit mono and gets a WAV
# header.
"$venv/bin/python" - "$tmp/ps/test/data" "$tmp/out/pocketsphinx" <<'PY'
import pathlib, re, shutil, sys, wave

src, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
line_re = re.compile(r"^\s*(?:<s>)?\s*(.*?)\s*(?:</s>)?\s*\(([^)]+)\)\s*$")
count = 0
for folder, trans in (("librivox", "transcription"), ("cards", "cards.transcription")):
    for line in (src / folder / trans).read_text().splitlines():
        m = line_re.match(line)
        if not m:
            continue
        text, ident = m.group(1), m.group(2)
        wav = src / folder / f"{ident}.wav"
        name = f"{folder}-{ident}" if folder == "cards" else ident
        shutil.copy(wav, out / f"{name}.wav")
        (out / f"{name}.txt").write_text(text + "\n")
        count += 1
raw = (src / "goforward.raw").read_bytes()
with wave.open(str(out / "goforward.wav"), "wb") as w:
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(16000)
    w.writeframes(raw)
(out / "goforward.txt").write_text("go forward ten meters\n")
count += 1
if count < 11:
    sys.exit(f"fetch-speech-data: expected 11 recordings, found {count}")
PY

echo "fetch-speech-data: synthesizing dictation with espeak-ng"
d="$tmp/out/dictation"
printf '%s\n' "$DICTATION" >"$d/dictation.txt"
espeak-ng -v en-us -s 160 -w "$d/dictation.wav" -f "$d/dictation.txt"
printf '%s\n' "$SHORT" >"$d/short.txt"
espeak-ng -v en-us -s 160 -w "$d/short.wav" -f "$d/short.txt"
ff() { ffmpeg -hide_banner -loglevel error -y -i "$d/short.wav" "$@"; }
ff -ar 44100 -ac 2 -c:a pcm_s16le "$d/short-44k-stereo.wav"
ff -ar 44100 -ac 2 -c:a libmp3lame -b:a 96k "$d/short.mp3"
ff -ar 48000 -ac 2 -c:a libvorbis -q:a 4 "$d/short.ogg"
ff -c:a flac "$d/short.flac"
ff -ar 44100 -ac 1 -c:a aac -b:a 96k "$d/short.m4a"

rm -rf "$speech"
mkdir -p "$(dirname "$speech")"
mv "$tmp/out" "$speech"
# Stamped last, so an interrupted run is redone rather than taken as done.
echo "$stamp_value" >"$speech/.stamp"
echo "fetch-speech-data: $(find "$speech" -name '*.wav' | wc -l) WAV files and $(find "$speech" -name 'short.*' ! -name '*.txt' ! -name '*.wav' | wc -l) other formats in ${speech#"$repo"/}"
