#!/usr/bin/env bash
# Set up everything the assistant needs on Debian/Ubuntu, then run it or its tests.
#   scripts/setup.sh run    set up, then start the app (GUI with a display; CLI help without)
#   scripts/setup.sh test   set up, then run the whole test suite
set -euo pipefail
cd "$(dirname "$0")/.."
ACTION="${1:-run}"
VENV="${VENV:-.venv}"
PYTHON="${PYTHON:-python3}"

# System packages: speech (espeak-ng), microphone (PortAudio), sound files (libsndfile),
# a virtual X server for tests (xvfb), fonts, and the X/EGL libraries Qt loads.
# The real accessibility stack of tests/a11y: a session bus (dbus-daemon, dbus-bin), a window
# manager (openbox), the AT-SPI bus (at-spi2-core), pyatspi on the system python as the
# screen reader, speech-dispatcher (+ libao's null driver) as its voice, python3-speechd.
APT_PACKAGES="python3-venv python3-pip espeak-ng libespeak-ng1 libportaudio2 libsndfile1 xvfb xauth
  fonts-dejavu-core libgl1 libegl1 libglib2.0-0 libfontconfig1 libdbus-1-3 libxkbcommon0
  libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0
  libxcb-randr0 libxcb-image0 libxcb-render-util0 libxcb-xkb1 libx11-xcb1 xdotool
  speech-dispatcher python3-speechd libao4 python3-brlapi dbus-daemon dbus-bin at-spi2-core
  python3-pyatspi openbox"

missing=""
for pkg in $APT_PACKAGES; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = "0" ]; then
    echo "Installing system packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "Some system packages are missing. Install them with:"
    echo "  sudo apt-get install -y$missing"
    echo "Continuing; speech, microphone or the GUI may not work until they are installed."
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
PIP="$VENV/bin/python -m pip"
$PIP install -q --upgrade pip
# The CPU build of torch first, pinned, so nothing pulls the multi-gigabyte CUDA wheels.
$PIP install -q "torch==2.13.0"
if [ "$ACTION" = test ]; then
  $PIP install -q -e ".[drawing,test]"
else
  $PIP install -q -e ".[drawing]"
fi

case "$ACTION" in
  run)
    if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
      exec "$VENV/bin/python" main.py
    fi
    echo "No display found, so the desktop app cannot open. The command line works:"
    echo "  $VENV/bin/python main.py describe picture.png"
    echo "  $VENV/bin/python main.py --help"
    exec "$VENV/bin/python" main.py --help
    ;;
  test)
    export QT_QPA_PLATFORM=offscreen
    PY="$VENV/bin/python"
    # The code stays as the tools want it: lint, format and types, zero findings.
    "$PY" -m ruff check .
    "$PY" -m ruff format --check .
    "$PY" -m mypy
    # No test reaches beyond this machine: every Python process of the run refuses it.
    export PYTHONPATH="$PWD/tests/no_network${PYTHONPATH:+:$PYTHONPATH}"
    "$PY" -m pytest -q "${@:2}"
    # The widget tests twice more: a crash in Qt shows up as a lost run, not a failed assert.
    for round in 2 3; do
      echo "UI tests, round $round of 3"
      "$PY" -m pytest -q -p no:cacheprovider tests/ui
    done
    ;;
  *)
    echo "usage: scripts/setup.sh run|test" >&2
    exit 2
    ;;
esac
