"""OCR with rapidocr (PP-OCR ONNX models that ship inside the rapidocr wheel, Apache-2.0).

Every model path is given explicitly, so rapidocr never reaches its download code: a missing
file is reported as ModelUnavailable instead. Detection and recognition are separate calls
so the describer can announce "about N lines of text" after detection (~0.3 s) and recognise
the lines afterwards.

Speed choices for a 1920x1080 screen on 2 cores (see docs/embedded.md for the figures):
- detection runs on the image scaled so its long side is at most 960 px (text down to 11 px
  high is still found), but never shrunk more than 2x, so small text on 4K screens or very
  wide strips survives; recognition crops come from the full-resolution image, so accuracy
  is unchanged;
- the text-direction classifier is skipped: screen text is upright;
- onnxruntime uses 2 intra-op threads that sleep instead of spin-waiting between operators:
  about 15% less CPU for the same work, which matters on a busy 2-core machine.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import ModelUnavailable
from .base import TextLine

DET_MODEL = "PP-OCRv6_det_small.onnx"
REC_MODEL = "PP-OCRv6_rec_small.onnx"
CLS_MODEL = "ch_ppocr_mobile_v2.0_cls_mobile.onnx"
DET_LONG_SIDE = 960
DET_MIN_SCALE = 0.5
MIN_CONFIDENCE = 0.5  # rapidocr's own default text_score: below it results are mostly noise
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
        # we shrink the image for detection ourselves (see detect); rapidocr must not shrink it more
        "Det.limit_type": "max",
        "Det.limit_side_len": 4096,
        "Global.max_side_len": 4096,
        "EngineConfig.onnxruntime.intra_op_num_threads": THREADS,
    }


def _use_sleeping_threads(engine) -> None:
    """Swap rapidocr's onnxruntime sessions for ones whose idle threads sleep.

    rapidocr builds its sessions from config values only and offers no spinning option, so
    the loaded sessions are replaced once, right after loading, with the same model file."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 4
    opts.enable_cpu_mem_arena = False
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = THREADS
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    for model, name in ((engine._load_det_model(), DET_MODEL), (engine._load_rec_model(), REC_MODEL)):
        model.session.session = ort.InferenceSession(
            str(model_dir() / name), sess_options=opts, providers=["CPUExecutionProvider"]
        )


def to_bgr(image: Image.Image) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])


class TextReader:
    """Loaded lazily, once; calls are serialised because rapidocr keeps per-call state."""

    def __init__(self):
        self._engine = None
        self._lock = threading.Lock()

    def _load(self):
        if self._engine is None:
            from rapidocr import RapidOCR

            engine = RapidOCR(params=_params())
            _use_sleeping_threads(engine)
            self._engine = engine
        return self._engine

    def detect(self, bgr: np.ndarray) -> list[np.ndarray]:
        """Quadrilaterals (4x2 float arrays, full-image pixels) around each text region."""
        scale = max(DET_MIN_SCALE, min(1.0, DET_LONG_SIDE / max(bgr.shape[:2])))
        small = bgr if scale == 1.0 else _resize(bgr, scale)
        with self._lock:
            engine = self._load()
            out = engine(small, use_det=True, use_cls=False, use_rec=False)
        boxes = getattr(out, "boxes", None)
        if boxes is None:
            return []
        return [np.asarray(b, dtype=np.float32) * np.float32(bgr.shape[1] / small.shape[1]) for b in boxes]

    def recognise(self, bgr: np.ndarray, quads: list[np.ndarray]) -> list[TextLine]:
        """Read each detected region; drops empty and low-confidence results."""
        if not quads:
            return []
        with self._lock:
            engine = self._load()
            crops = engine.crop_text_regions(bgr, [q.copy() for q in quads])
            rec = engine.recognize_txt(crops)
        lines = []
        for quad, text, score in zip(quads, rec.txts or (), rec.scores or (), strict=False):
            text = text.strip()
            if text and score >= MIN_CONFIDENCE:
                lines.append(TextLine(text, quad_to_box(quad, bgr.shape), float(score)))
        return lines


def _resize(bgr: np.ndarray, scale: float) -> np.ndarray:
    h, w = bgr.shape[:2]
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.ascontiguousarray(np.asarray(Image.fromarray(bgr).resize(size, Image.Resampling.BILINEAR)))


def quad_to_box(quad: np.ndarray, shape: tuple[int, ...]) -> Box:
    h, w = shape[:2]
    x0, y0 = np.floor(quad.min(axis=0)).astype(int)
    x1, y1 = np.ceil(quad.max(axis=0)).astype(int)
    return (max(0, int(x0)), max(0, int(y0)), min(w, int(x1)), min(h, int(y1)))
