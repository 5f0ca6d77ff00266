"""The hostile corpus: whatever a user can be sent (mail attachments, downloads) goes through the
real command line in a subprocess, and each run must end with the right exit code, one plain
sentence (no Python class name, no traceback), inside a generous hang guard, and where it
matters under a peak-memory bound measured with getrusage(RUSAGE_CHILDREN) in a small wrapper.

Big or hostile files are made here in tmp_path (sparse where possible), never committed.
Set HOSTILE_REPORT=/path/file.jsonl to append one line per case (exit code, message, seconds,
peak MB) for the results table.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image, ImageDraw

from .conftest import font

ROOT = Path(__file__).resolve().parents[1]
HANG_GUARD_S = 120  # a hang guard, not a timing assertion: a stuck run is killed and fails
AS_LIMIT = 4 * 1024**3  # address-space cap for runs that must refuse: the old code ate all memory here
CLASS_NAME = re.compile(r"\b[A-Z]\w*(?:Error|Exception|Warning|Interrupt)\b|Traceback|\bErrno\b")

# Runs the CLI as its only child so RUSAGE_CHILDREN is exactly the CLI's peak resident memory.
_WRAPPER = """
import resource, subprocess, sys
limit = int(sys.argv[2])
if limit:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
code = subprocess.call(sys.argv[3:])
with open(sys.argv[1], "w") as f:
    f.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(code)
"""


# ---- hostile files --------------------------------------------------------------------------------
def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_zeros(width: int, height: int, bit_depth: int = 8, colour: int = 0, rows_at_once: int = 500) -> bytes:
    """A PNG of all-zero pixels, compressed row block by row block (the test never holds the
    pixels): a decompression bomb when large."""
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    row = b"\0" + b"\0" * (width * channels * bit_depth // 8)
    comp = zlib.compressobj(9)
    parts = []
    for y in range(0, height, rows_at_once):
        parts.append(comp.compress(row * min(rows_at_once, height - y)))
    parts.append(comp.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", b"".join(parts)) + _chunk(b"IEND", b"")


def _png_header_only(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\0" * 10)) + _chunk(b"IEND", b"")
    )


def _jpeg_header_only(width: int, height: int) -> bytes:
    """A real tiny JPEG whose frame header (SOF0) is patched to claim width x height."""
    data = bytearray(_encoded(Image.new("RGB", (16, 16), "red"), "JPEG"))
    sof = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def _gif_screen(width: int, height: int) -> bytes:
    """A real tiny GIF whose logical screen is patched to claim width x height."""
    data = bytearray(_encoded(Image.new("RGB", (16, 16), "red"), "GIF"))
    struct.pack_into("<HH", data, 6, width, height)
    return bytes(data)


def _noise(size=(320, 240), seed=0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))


def _encoded(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def _write(path: Path, data: bytes | str) -> Path:
    if isinstance(data, str):
        path.write_text(data)
    else:
        path.write_bytes(data)
    return path


def _sparse(path: Path, size: int, head: bytes = b"") -> Path:
    with open(path, "wb") as f:
        f.write(head)
        f.truncate(size)
    return path


def _wav_header(frames: int, rate: int = 16000, channels: int = 1, bits: int = 16) -> bytes:
    data = frames * channels * bits // 8
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * channels * bits // 8, channels * bits // 8, bits)
    return (
        b"RIFF" + struct.pack("<I", 36 + data) + b"WAVE" + _chunk_le(b"fmt ", fmt) + b"data" + struct.pack("<I", data)
    )


def _chunk_le(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("<I", len(body)) + body


def _float_wav(path: Path, value: float, seconds: float = 2.0) -> Path:
    sf.write(path, np.full(int(16000 * seconds), value, np.float32), 16000, subtype="FLOAT")
    return path


def _espeak(path: Path, text: str) -> tuple[np.ndarray, int]:
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(path), text], check=True, timeout=60)
    samples, rate = sf.read(path, dtype="float32")
    return samples, rate


def _text_picture(size, text="HOSTILE", font_size=360) -> Image.Image:
    img = Image.new("L", size, 255)
    ImageDraw.Draw(img).text((size[0] // 10, size[1] // 3), text, fill=0, font=font(font_size))
    return img


def _deep_png(path: Path, size=(10000, 10000)) -> Path:
    """A 16-bit greyscale picture with big dark words on a light ground (194 KB when blank)."""
    arr = np.asarray(_text_picture(size), dtype=np.uint16) * 257
    Image.fromarray(arr).save(path, compress_level=1)
    return path


def _tiff(mode: str, fill) -> bytes:
    return _encoded(Image.new(mode, (64, 48), fill), "TIFF")


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _socket_file(path: Path) -> Path:
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(path))
    s.close()  # the name stays on disk
    return path


def _loop(path: Path) -> Path:
    other = path.with_name(path.name + ".other")
    os.symlink(other, path)
    os.symlink(path, other)
    return path


def _unreadable(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    path.chmod(0)
    return path


def _gif_many_frames(frames: int = 3000) -> bytes:
    first = Image.new("P", (64, 64), 0)
    first.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    rest = [Image.new("P", (64, 64), 1 if i % 2 else 0) for i in range(frames - 1)]
    for f in rest:
        f.putpalette(first.getpalette())
    return _encoded(first, "GIF", save_all=True, append_images=rest, duration=10, loop=0, optimize=False)


def _png_ztxt_bomb() -> bytes:
    img = _encoded(Image.new("RGB", (32, 32), "green"), "PNG")
    body = b"Comment\0\0" + zlib.compress(b"A" * 20_000_000, 9)
    return img[:33] + _chunk(b"zTXt", body) + img[33:]


_PS = "%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\n{ } loop\nshowpage\n%%EOF\n"


# ---- the cases ------------------------------------------------------------------------------------
@dataclass
class Case:
    id: str
    command: str  # describe | read | edit | transcribe
    make: Callable[[Path], Path | str]  # builds the input in tmp_path, returns the path to hand over
    code: int
    message: str  # a regex the (stderr or stdout) message must contain
    max_mb: int | None = None  # peak resident memory bound, where it matters
    instruction: str | None = None  # for edit
    refuse: bool = True  # a refusal runs under the address-space cap


def _pic(tmp: Path) -> Path:
    img = Image.new("RGB", (200, 150), "white")
    ImageDraw.Draw(img).rectangle((20, 20, 120, 90), fill="red")
    img.save(tmp / "pic.png")
    return tmp / "pic.png"


def _edit(id_: str, instruction: str, message: str) -> Case:
    return Case(id_, "edit", _pic, 2, message, instruction=instruction)


CASES: list[Case] = [
    # -- not a picture at all
    Case("missing file", "describe", lambda t: t / "missing.png", 2, r"does not exist\."),
    Case("directory", "describe", lambda t: t, 2, r"is a folder"),
    Case("read: directory", "read", lambda t: t, 2, r"is a folder"),
    Case("zero-byte png", "describe", lambda t: _write(t / "empty.png", b""), 2, r"is empty \(0 bytes\)"),
    Case("text renamed .png", "describe", lambda t: _write(t / "notes.png", "eggs, milk\n"), 2, r"is a text file"),
    Case("PostScript renamed .png", "describe", lambda t: _write(t / "loop.png", _PS), 2, r"PostScript"),
    Case("EPS named .eps", "describe", lambda t: _write(t / "loop.eps", _PS), 2, r"PostScript"),
    Case("PDF renamed .jpg", "describe", lambda t: _write(t / "doc.jpg", "%PDF-1.4\n%\xe2\xe3\n1 0 obj\n"), 2, r"PDF"),
    Case(
        "SVG",
        "describe",
        lambda t: _write(t / "logo.svg", '<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>'),
        2,
        r"SVG",
    ),
    Case("random bytes .jpg", "describe", lambda t: _write(t / "r.jpg", os.urandom(5000)), 2, r"not a picture format"),
    Case(
        "JPEG 2000 (not allowed)",
        "describe",
        lambda t: _write(t / "p.jp2", _encoded(_noise(), "JPEG2000")),
        2,
        r"JPEG 2000",
    ),
    Case("PSD header", "describe", lambda t: _write(t / "p.psd", b"8BPS\0\1" + b"\0" * 200), 2, r"Photoshop"),
    # -- damaged pictures
    Case(
        "truncated PNG",
        "describe",
        lambda t: _write(t / "cut.png", _encoded(_noise(), "PNG")[:3000]),
        2,
        r"damaged|incomplete",
    ),
    Case(
        "truncated JPEG",
        "describe",
        lambda t: _write(t / "cut.jpg", _encoded(_noise(), "JPEG")[:4000]),
        2,
        r"damaged|incomplete",
    ),
    Case(
        "truncated GIF",
        "describe",
        lambda t: _write(t / "cut.gif", _encoded(_noise(), "GIF")[:3000]),
        2,
        r"damaged|incomplete",
    ),
    Case("PNG zTXt bomb", "describe", lambda t: _write(t / "ztxt.png", _png_ztxt_bomb()), 2, r"damaged", max_mb=500),
    # -- too big
    Case(
        "PNG header 1e6 x 1e6",
        "describe",
        lambda t: _write(t / "huge.png", _png_header_only(10**6, 10**6)),
        2,
        r"too large",
        max_mb=400,
    ),
    Case(
        "JPEG header 65500 x 65500",
        "describe",
        lambda t: _write(t / "huge.jpg", _jpeg_header_only(65500, 65500)),
        2,
        r"too large",
        max_mb=400,
    ),
    Case(
        "GIF screen 65535 x 65535",
        "describe",
        lambda t: _write(t / "huge.gif", _gif_screen(65535, 65535)),
        2,
        r"too large",
        max_mb=400,
    ),
    Case(
        "PNG bomb 20000 x 20000 (1 MB)",
        "describe",
        lambda t: _write(t / "bomb.png", _png_zeros(20000, 20000)),
        2,
        r"too large",
        max_mb=400,
    ),
    Case(
        "sparse 3 GB file",
        "describe",
        lambda t: _sparse(t / "big.png", 3 * 1024**3, _png_header_only(64, 64)),
        2,
        r"too large: 3\.2 GB",
        max_mb=400,
    ),
    Case(
        "tiny 3 x 3",
        "describe",
        lambda t: _write(t / "tiny.png", _encoded(Image.new("RGB", (3, 3)), "PNG")),
        2,
        r"too small",
    ),
    Case(
        "shape 20 x 5000",
        "describe",
        lambda t: _write(t / "thin.png", _encoded(Image.new("RGB", (20, 5000)), "PNG")),
        2,
        r"unusable shape",
    ),
    # -- not regular files
    Case("FIFO", "describe", lambda t: _fifo(t / "pipe.png"), 2, r"named pipe"),
    Case("/dev/zero", "describe", lambda t: "/dev/zero", 2, r"is a device", max_mb=400),
    Case("socket", "describe", lambda t: _socket_file(t / "sock.png"), 2, r"is a socket"),
    Case("symlink loop", "describe", lambda t: _loop(t / "loop.png"), 2, r"loop"),
    Case(
        "unreadable (no permission)",
        "describe",
        lambda t: _unreadable(t / "secret.png", _encoded(_noise(), "PNG")),
        2,
        r"permission denied",
    ),
    Case("name too long", "describe", lambda t: t / ("x" * 300 + ".png"), 2, r"name is too long"),
    # -- accepted, bounded: big, deep, animated and odd pictures
    Case(
        "PNG bomb 10000 x 10000 accepted",
        "describe",
        lambda t: _write(t / "zeros.png", _png_zeros(10000, 10000)),
        0,
        r"blank: it is entirely black",
        max_mb=1024,
        refuse=False,
    ),
    Case(
        "16-bit 10000 x 10000 PNG",
        "describe",
        lambda t: _deep_png(t / "deep.png"),
        0,
        r"HOSTILE",
        max_mb=1024,
        refuse=False,
    ),
    Case(
        "16-bit RGBA 6000 x 6000 PNG",
        "describe",
        lambda t: _write(t / "deep-rgba.png", _png_zeros(6000, 6000, 16, 6)),
        0,
        r"blank: it is entirely white",
        max_mb=1024,
        refuse=False,
    ),
    Case(
        "animated GIF 3000 frames",
        "describe",
        lambda t: _write(t / "anim.gif", _gif_many_frames()),
        0,
        r"entirely red",
        max_mb=600,
        refuse=False,
    ),
    Case(
        "CMYK JPEG",
        "describe",
        lambda t: _write(t / "cmyk.jpg", _encoded(Image.new("CMYK", (64, 48), (0, 255, 255, 0)), "JPEG")),
        0,
        r"entirely red",
        refuse=False,
    ),
    Case(
        "WebP",
        "describe",
        lambda t: _write(t / "p.webp", _encoded(Image.new("RGB", (64, 48), "blue"), "WEBP")),
        0,
        r"entirely blue",
        refuse=False,
    ),
    Case(
        "ICO",
        "describe",
        lambda t: _write(t / "p.ico", _encoded(Image.new("RGB", (64, 64), "red"), "ICO")),
        0,
        r"entirely red",
        refuse=False,
    ),
    Case(
        "TIFF mode F with NaN",
        "describe",
        lambda t: _write(t / "f.tif", _tiff("F", float("nan"))),
        0,
        r"entirely black",
        refuse=False,
    ),
    Case(
        "TIFF mode I;16B",
        "describe",
        lambda t: _write(t / "i16b.tif", _tiff("I;16B", 65535)),
        0,
        r"entirely white",
        refuse=False,
    ),
    Case(
        "TIFF mode I (32-bit)",
        "describe",
        lambda t: _write(t / "i32.tif", _tiff("I", 70000)),
        0,
        r"entirely white",
        refuse=False,
    ),
    Case("TIFF mode 1", "describe", lambda t: _write(t / "bw.tif", _tiff("1", 1)), 0, r"entirely white", refuse=False),
    Case(
        "TIFF CMYK",
        "describe",
        lambda t: _write(t / "cmyk.tif", _tiff("CMYK", (0, 0, 0, 255))),
        0,
        r"entirely black",
        refuse=False,
    ),
    Case(
        "TIFF LAB",
        "describe",
        lambda t: _write(t / "lab.tif", _tiff("LAB", (100, 128, 128))),
        0,
        r"blank",
        refuse=False,
    ),
    # -- edits with numbers out of range
    _edit("rotate 1e308 degrees", "rotate 1e308 degrees", r"1e308 degrees.*0.1 to 360 degrees"),
    _edit("zoom 0%", "zoom 0%", r"0 percent.*5 to 2000 percent"),
    _edit("zoom in 1e9x", "zoom in 1e9x", r"1e9 times.*1\.1 to 20 times"),
    _edit("brightness 1e400", "brightness 1e400", r"1e400.*1000 percent"),
    _edit("5000 percent brighter", "make it 5000 percent brighter", r"5000 percent.*1 to 1000 percent"),
    _edit("resize to -5 by 10 pixels", "resize to -5 by 10 pixels", r"-5 pixels.*8 to 65535 pixels"),
    _edit("resize to 0 percent", "resize to 0 percent", r"0 percent.*1 to 5000 percent"),
    _edit("zoom in 0 times", "zoom in 0 times", r"0 times.*1\.1 to 20 times"),
    _edit("blur 1000 percent", "blur it 1000 percent", r"1000 percent.*1 to 100 percent"),
    # -- audio
    Case("audio: missing", "transcribe", lambda t: t / "missing.wav", 2, r"does not exist\."),
    Case("audio: directory", "transcribe", lambda t: t, 2, r"is a folder"),
    Case("audio: FIFO", "transcribe", lambda t: _fifo(t / "pipe.wav"), 2, r"named pipe"),
    Case("audio: /dev/zero", "transcribe", lambda t: "/dev/zero", 2, r"is a device", max_mb=400),
    Case("audio: symlink loop", "transcribe", lambda t: _loop(t / "loop.wav"), 2, r"loop"),
    Case(
        "audio: unreadable",
        "transcribe",
        lambda t: _unreadable(t / "secret.wav", _wav_header(16000) + b"\0" * 32000),
        2,
        r"permission denied",
    ),
    Case(
        "audio: sparse 3 GB",
        "transcribe",
        lambda t: _sparse(t / "big.wav", 3 * 1024**3, _wav_header(16000)),
        2,
        r"too large: 3\.2 GB",
        max_mb=400,
    ),
    Case(
        "audio: 2-hour silent WAV",
        "transcribe",
        lambda t: _sparse(t / "long.wav", 44 + 16000 * 7200 * 2, _wav_header(16000 * 7200)),
        2,
        r"7200 seconds \(2 hours\) long; the limit is 600 seconds",
        max_mb=400,
    ),
    Case(
        "audio: 600.1 s WAV",
        "transcribe",
        lambda t: _sparse(t / "t.wav", 44 + 16000 * 6001 // 10 * 2, _wav_header(16000 * 6001 // 10)),
        2,
        r"600\.1 seconds long; the limit is 600 seconds",
        max_mb=400,
    ),
    Case("audio: float WAV of 1e30", "transcribe", lambda t: _float_wav(t / "loud.wav", 1e30), 2, r"damaged"),
    Case("audio: NaN WAV", "transcribe", lambda t: _float_wav(t / "nan.wav", float("nan")), 2, r"damaged"),
    Case("audio: infinite WAV", "transcribe", lambda t: _float_wav(t / "inf.wav", float("inf")), 2, r"damaged"),
    Case("audio: zero-length WAV", "transcribe", lambda t: _write(t / "none.wav", _wav_header(0)), 2, r"empty"),
    Case("audio: zero bytes", "transcribe", lambda t: _write(t / "zero.wav", b""), 2, r"empty"),
    Case(
        "audio: MP3 garbage",
        "transcribe",
        lambda t: _write(t / "g.mp3", b"ID3\3\0\0\0\0\0\0" + os.urandom(20000)),
        2,
        r"not audio I can read",
    ),
    Case(
        "audio: text renamed .wav",
        "transcribe",
        lambda t: _write(t / "notes.wav", "hello\n"),
        2,
        r"not audio I can read",
    ),
    Case(
        "audio: picture renamed .wav",
        "transcribe",
        lambda t: _write(t / "pic.wav", _encoded(_noise(), "PNG")),
        2,
        r"not audio I can read",
    ),
    Case("audio: silence", "transcribe", lambda t: _float_wav(t / "quiet.wav", 0.0), 2, r"silent"),
    Case("audio: constant offset (DC)", "transcribe", lambda t: _float_wav(t / "dc.wav", 0.5), 2, r"silent"),
]


def _phase_inverted(tmp: Path) -> Path:
    mono, rate = _espeak(tmp / "mono.wav", "Describe the screen.")
    sf.write(tmp / "stereo.wav", np.stack([mono, -mono], axis=1), rate)
    return tmp / "stereo.wav"


def _playlist(tmp: Path) -> Path:
    return _write(tmp / "list.mp3", f"#EXTM3U\n#EXTINF:10,\nhttp://127.0.0.1:{_LISTENER.port}/a.ts\n#EXT-X-ENDLIST\n")


CASES += [
    Case(
        "audio: phase-inverted stereo speech",
        "transcribe",
        _phase_inverted,
        0,
        r"(?i)describe the screen",
        refuse=False,
    ),
    Case("audio: HLS playlist to 127.0.0.1", "transcribe", _playlist, 2, r"not audio I can read"),
]


class _Listener:
    """Counts connections to a local port: a playlist must never make the decoder fetch anything."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()


_LISTENER = _Listener()


# ---- running the CLI ------------------------------------------------------------------------------
@dataclass
class Run:
    code: int
    out: str
    err: str
    seconds: float
    peak_mb: float


def _drop_dac_prefix() -> list[str] | None:
    """Root reads any file whatever its mode: run as root without the override capabilities
    (setpriv), so a chmod 000 file is really unreadable. None when that is impossible."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        return None
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


def run_cli(args: list[str], tmp: Path, *, prefix: list[str] = (), env_extra=None, as_limit: int = 0) -> Run:
    home = tmp / "home"
    env = dict(os.environ, SCREEN_ASSISTANT_HOME=str(home), HF_HOME=str(home / "hf"), HF_HUB_OFFLINE="1")
    env.update(env_extra or {})
    rss_file = tmp / "rss.txt"
    cmd = [sys.executable, "-c", _WRAPPER, str(rss_file), str(as_limit), *prefix, sys.executable, "main.py", *args]
    t0 = time.monotonic()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=HANG_GUARD_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"{' '.join(args)} hung: killed after {HANG_GUARD_S} s")
    seconds = time.monotonic() - t0
    peak_kb = int(rss_file.read_text()) if rss_file.exists() else 0
    return Run(proc.returncode, out, err, seconds, peak_kb / 1024)


def _report(case: Case, run: Run) -> None:
    path = os.environ.get("HOSTILE_REPORT")
    if not path:
        return
    message = (run.err.strip() or run.out.strip()).replace("\n", " ")
    line = {"input": case.id, "command": case.command, "code": run.code, "message": message}
    line.update(seconds=round(run.seconds, 1), peak_mb=round(run.peak_mb))
    with open(path, "a") as f:
        f.write(json.dumps(line) + "\n")


@pytest.fixture(scope="module")
def fake_gs(tmp_path_factory):
    """A `gs` first on PATH that leaves a mark: Ghostscript must never be started."""
    folder = tmp_path_factory.mktemp("fakebin")
    mark = folder / "gs-was-run"
    gs = folder / "gs"
    gs.write_text(f'#!/bin/sh\necho "$@" >> {mark}\nsleep 30\n')
    gs.chmod(0o755)
    return folder, mark


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case: Case, tmp_path, fake_gs):
    gs_dir, gs_mark = fake_gs
    if case.command == "transcribe" and case.code == 0 and not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng is not installed")
    prefix: list[str] = []
    if "unreadable" in case.id:
        dropped = _drop_dac_prefix()
        if dropped is None:
            pytest.skip("running as root without setpriv: a chmod 000 file stays readable")
        prefix = dropped
    work = tmp_path / "in"
    work.mkdir()
    target = case.make(work)
    args = [case.command, str(target)]
    if case.instruction is not None:
        args += [case.instruction, "-o", str(tmp_path / "out.png")]
    connections_before = _LISTENER.connections
    run = run_cli(
        args,
        tmp_path,
        prefix=prefix,
        env_extra={"PATH": f"{gs_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
        as_limit=AS_LIMIT if case.refuse else 0,
    )
    _report(case, run)
    message = run.err.strip() if run.code else run.out.strip()
    assert run.code == case.code, f"exit {run.code}: {run.err or run.out}"
    assert re.search(case.message, message), message
    assert not CLASS_NAME.search(run.err + run.out), run.err + run.out
    if run.code:
        assert message.endswith("."), message
        assert "Something went wrong" not in message
    if case.max_mb is not None:
        assert run.peak_mb <= case.max_mb, f"peak {run.peak_mb:.0f} MB > {case.max_mb} MB"
    assert not gs_mark.exists(), "Ghostscript was started"
    assert _LISTENER.connections == connections_before, "the decoder made a network connection"


def test_corpus_is_big_enough():
    assert len(CASES) >= 40
    assert stat.S_ISCHR(os.stat("/dev/zero").st_mode)
