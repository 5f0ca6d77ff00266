"""OCR with rapidocr (PP-OCR ONNX models that ship inside the rapidocr wheel, Apache-2.0).

Every model path is given explicitly, so rapidocr never reaches its download code: a missing
file is reported as ModelUnavailable instead. Detection and recognition are separate calls, and
recognition takes one line at a time, so `read` can speak its first line after detection and a
single recognition, and the describer can announce "about N lines of text" after detection.

Speed and memory choices for a 1920x1080 screen on 2 cores (figures in docs/embedded.md):
- detection runs on the image scaled so its long side is at most 960 px (text down to 11 px
  high is still found), but never shrunk more than 2x, so small text on 4K screens or very
  wide strips survives; recognition crops come from the full-resolution image;
- recognition one line per call (batch 1, rapidocr's default is 6): 21-30 % faster on dense
  screens (no padding of short lines to the widest in the batch), one long line no longer
  merged with its neighbour's padding, and peak memory ~1.1 GB -> ~0.4 GB;
- the onnxruntime sessions are built once, by us, and handed to rapidocr: threads sleep instead
  of spin-waiting (~15 % less CPU on a busy machine), no memory arena and no memory pattern
  (300-400 MB less resident: the pattern keeps buffers sized for the largest input seen);
- the text-direction classifier is skipped: screen text is upright. Tall, narrow boxes (a
  chart's vertical axis title, sideways labels) are recognised turned both ways, keeping the
  reading with the higher score: rapidocr's own turn reads bottom-to-top text upside down.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import ModelUnavailable
from ..memory import release_memory
from .base import TextLine

DET_MODEL = "PP-OCRv6_det_small.onnx"
REC_MODEL = "PP-OCRv6_rec_small.onnx"
CLS_MODEL = "ch_ppocr_mobile_v2.0_cls_mobile.onnx"
DET_LONG_SIDE = 960
DET_MIN_SCALE = 0.5
# Detection memory grows with its input: ~230 bytes a pixel (measured, PP-OCRv6 small: 0.5 MP
# +136 MB, 2.1 MP +440 MB, 2.8 MP +610 MB). Larger inputs (4K screens, big scans) are detected
# in bands of the full width and at most this many pixels, overlapping by DET_OVERLAP rows.
DET_BAND_PIXELS = 1_000_000
DET_OVERLAP = 160
# Below this a reading is not spoken. Measured: on six documentation screens all 355 regions
# scored >= 0.8 (350 of the 353 above 0.9 match the page's text); every reading seen between
# 0.5 (rapidocr's default) and 0.8 was garbage: "*★" 0.67 and "X1" 0.69 (uniform insignia in a
# photo), "&" 0.55 and "8" 0.60 (scatter-plot markers), sideways axis titles read upside down
# ("raett  et o o ter" 0.75, "langage" 0.68).
MIN_CONFIDENCE = 0.8
THREADS = 2

Box = tuple[int, int, int, int]


def model_dir() -> Path:
    import rapidocr

    return Path(rapidocr.__file__).resolve().parent / "models"


def _params() -> dict:
    root = model_dir()
    paths = {name: root / name for name in (DET_MODEL, REC_MODEL, CLS_MODEL)}
    missing = [n for n, p in paths.items() if not p.is_file()]
    if missing:
        raise ModelUnavailable(
            "The built-in text reader is incomplete: the rapidocr package is missing "
            f"{', '.join(missing)}. Reinstall it with: pip install --force-reinstall rapidocr",
            preset="embedded",
        )
    return {
        "Global.log_level": "error",
        "Global.use_cls": False,
        "Det.model_path": str(paths[DET_MODEL]),
        "Rec.model_path": str(paths[REC_MODEL]),
        "Cls.model_path": str(paths[CLS_MODEL]),
        "Rec.rec_batch_num": 1,
        # we shrink the image for detection ourselves (see detect); rapidocr must not shrink it more
        "Det.limit_type": "max",
        "Det.limit_side_len": 4096,
        "Global.max_side_len": 4096,
        "EngineConfig.onnxruntime.intra_op_num_threads": THREADS,
    }


def _session(name: str):
    """One onnxruntime session with the memory and threading settings above."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 4
    opts.enable_cpu_mem_arena = False
    opts.enable_mem_pattern = False
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = THREADS
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(model_dir() / name), sess_options=opts, providers=["CPUExecutionProvider"])


def _engine():
    """rapidocr with our own sessions handed in (rapidocr accepts a ready session in its model
    config), so each model is loaded once."""
    from rapidocr import RapidOCR

    engine = RapidOCR(params=_params())
    engine.cfg._set_flag("allow_objects", True)  # the config is OmegaConf: let it hold a session
    engine.cfg.Det.session = _session(DET_MODEL)
    engine.cfg.Rec.session = _session(REC_MODEL)
    engine._load_det_model()
    engine._load_rec_model()
    return engine


def to_bgr(image: Image.Image) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])


def is_vertical(quad: np.ndarray) -> bool:
    """A box at least 1.5 times as tall as wide: text running up or down the picture."""
    w = float(max(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[2] - quad[3])))
    h = float(max(np.linalg.norm(quad[0] - quad[3]), np.linalg.norm(quad[1] - quad[2])))
    return h >= 1.5 * max(w, 1.0)


class TextReader:
    """Loaded lazily, once; calls are serialised because rapidocr keeps per-call state."""

    def __init__(self):
        self._engine = None
        self._lock = threading.Lock()

    def _load(self):
        if self._engine is None:
            self._engine = _engine()
        return self._engine

    def warm_up(self) -> None:
        with self._lock:
            self._load()

    def detect(self, bgr: np.ndarray) -> list[np.ndarray]:
        """Quadrilaterals (4x2 float arrays, full-image pixels) around each text region."""
        scale = max(DET_MIN_SCALE, min(1.0, DET_LONG_SIDE / max(bgr.shape[:2])))
        small = bgr if scale == 1.0 else _resize(bgr, scale)
        found: list[np.ndarray] = []
        with self._lock:
            engine = self._load()
            for top, bottom, keep_from, keep_to in bands(*small.shape[:2]):
                out = engine(small[top:bottom], use_det=True, use_cls=False, use_rec=False)
                boxes = getattr(out, "boxes", None)
                for box in () if boxes is None else boxes:
                    quad = np.asarray(box, dtype=np.float32) + np.asarray([0, top], dtype=np.float32)
                    if keep_from <= float(quad[:, 1].mean()) < keep_to:
                        found.append(quad)
                release_memory()
        return [quad * np.float32(bgr.shape[1] / small.shape[1]) for quad in found]

    def read_one(self, bgr: np.ndarray, quad: np.ndarray) -> tuple[str, float]:
        """The text in one detected region and its score; vertical regions are read both ways."""
        with self._lock:
            engine = self._load()
            crop = engine.crop_text_regions(bgr, [quad.copy()])[0]
            # rapidocr turns a tall crop a quarter turn anticlockwise; bottom-to-top text
            # (vertical axis titles) needs the opposite turn, i.e. a half turn more.
            crops = [crop, np.ascontiguousarray(np.rot90(crop, 2))] if is_vertical(quad) else [crop]
            rec = engine.recognize_txt(crops)
        text, score = max(zip(rec.txts or ("",), rec.scores or (0.0,), strict=False), key=lambda r: r[1])
        return text.strip(), float(score)

    def read_words(self, bgr: np.ndarray, quad: np.ndarray) -> list[tuple[str, int, int]]:
        """The words of one upright region with where each starts and ends (picture x), from
        the recogniser's own character positions; [] when unsure or sideways."""
        from rapidocr.ch_ppocr_rec.typings import TextRecInput

        if is_vertical(quad):
            return []
        with self._lock:
            engine = self._load()
            crop = engine.crop_text_regions(bgr, [quad.copy()])[0]
            rec = engine.text_rec(TextRecInput(img=[crop], return_word_box=True))
        if not rec.txts or not keep(rec.txts[0], float(rec.scores[0])) or not rec.word_results:
            return []
        info = rec.word_results[0]
        steps = max(1.0, float(info.line_txt_len))
        left, right = float(quad[:, 0].min()), float(quad[:, 0].max())
        scale = (right - left) / steps
        words = []
        for chars, cols in zip(info.words, info.word_cols, strict=False):
            if chars and cols:
                x0 = int(left + (cols[0] - 0.5) * scale)
                x1 = int(left + (cols[-1] + 1.5) * scale)
                words.append(("".join(chars), x0, x1))
        return words

    def recognise_one(self, bgr: np.ndarray, quad: np.ndarray) -> TextLine | None:
        """One region as a TextLine, or None when it is empty, unsure or a lone glyph."""
        text, score = self.read_one(bgr, quad)
        if not keep(text, score):
            return None
        return TextLine(text, quad_to_box(quad, bgr.shape), score)

    def recognise(self, bgr: np.ndarray, quads: list[np.ndarray]) -> list[TextLine]:
        """Read each detected region; drops what `keep` rejects."""
        found = (self.recognise_one(bgr, q) for q in quads)
        return [line for line in found if line is not None]


def keep(text: str, score: float) -> bool:
    """Whether a recognised region is worth saying: confident enough, and not a lone icon glyph
    (a menu icon read as "三", a search icon as "Q", an arrow as ">", a legend marker as "●").
    Lone digits stay: they are chart ticks and list numbers."""
    text = text.strip()
    if not text or score < MIN_CONFIDENCE:
        return False
    if len(text) == 1 and not text.isdigit():
        return False
    if len(text) <= 2 and all(_is_cjk(c) for c in text):
        return False  # icons (a grid, a menu) read as one or two CJK glyphs ("日日", "三")
    return any(c.isalnum() for c in text)


def _is_cjk(c: str) -> bool:
    return "\u2e80" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff"


def bands(height: int, width: int) -> list[tuple[int, int, int, int]]:
    """Rows to detect text in, one band at a time: (top, bottom, keep_from, keep_to). A region
    is kept by the band whose own rows (keep_from..keep_to) hold its centre; bands overlap by
    DET_OVERLAP rows, so a line up to that tall lies whole in the band that keeps it."""
    if height * width <= DET_BAND_PIXELS * 1.1:
        return [(0, height, 0, height)]
    rows = max(2 * DET_OVERLAP, DET_BAND_PIXELS // max(1, width))
    step = rows - DET_OVERLAP
    out = []
    top = 0
    while True:
        bottom = min(height, top + rows)
        keep_from = 0 if top == 0 else top + DET_OVERLAP // 2
        last = bottom >= height
        keep_to = height if last else bottom - DET_OVERLAP // 2
        out.append((top, bottom, keep_from, keep_to))
        if last:
            return out
        top += step


def _resize(bgr: np.ndarray, scale: float) -> np.ndarray:
    # PIL's bilinear filter (antialiased when shrinking): OpenCV's area average was ~15 ms faster
    # on full HD but moved detection boxes enough to glue an icon to a heading ("Crate std良").
    h, w = bgr.shape[:2]
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.ascontiguousarray(np.asarray(Image.fromarray(bgr).resize(size, Image.Resampling.BILINEAR)))


def quad_to_box(quad: np.ndarray, shape: tuple[int, ...]) -> Box:
    h, w = shape[:2]
    x0, y0 = np.floor(quad.min(axis=0)).astype(int)
    x1, y1 = np.ceil(quad.max(axis=0)).astype(int)
    return (max(0, int(x0)), max(0, int(y0)), min(w, int(x1)), min(h, int(y1)))
