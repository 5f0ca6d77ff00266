"""SSD-MobileNet-v2 (COCO) run in numpy from the frozen TensorFlow graph and OpenCV's text graph.

Why not cv2.dnn, which runs the same files: its net held ~190 MB once it had seen one photo (the
71 MB of weights, the copy its convolutions repack them into, and the buffers of a forward pass),
the largest single part of the app's memory. Here the weights are read once, batch norms and
biases are folded into the convolutions, and the large kernels are kept as int16 steps (36 MB in
all); a kernel is widened to float32 only while its layer runs, and activations are let go as soon
as their last reader has run. Resident after a photo: ~36 MB (cv2.dnn: ~190 MB), at about the same
speed (~90 ms a photo on one core). Scores match cv2.dnn's to within 0.0002 and boxes to within
0.0001 of the picture's size on the evaluation photos (tests/test_ssd.py compares the two).

The graph is OpenCV's .pbtxt (topology, anchors, post-processing settings) with the weights of the
.pb's Const nodes, read by a small protobuf wire-format reader (no TensorFlow needed).
Supported ops are exactly the ones this graph uses; any other op is a plain error at load time.
"""

from __future__ import annotations

import mmap
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

# ---- protobuf wire format: just enough of a frozen GraphDef to read its Const tensors ---------
_DT_FLOAT, _DT_INT32 = 1, 3


def _varint(buf: Any, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def _fields(buf: Any, start: int, end: int):
    """(field number, wire type, value): an int for varints and fixed widths, (start, end) for
    length-delimited fields."""
    pos = start
    while pos < end:
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
            yield number, wire, value
        elif wire == 2:
            length, pos = _varint(buf, pos)
            yield number, wire, (pos, pos + length)
            pos += length
        elif wire == 5:
            yield number, wire, pos
            pos += 4
        elif wire == 1:
            yield number, wire, pos
            pos += 8
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")


def _tensor(buf: Any, start: int, end: int) -> np.ndarray:
    """A TensorProto: dtype (1), shape (2), tensor_content (4), float_val (5), int_val (7)."""
    dtype, shape, content = 0, [], None
    values: list[float] = []
    for number, wire, value in _fields(buf, start, end):
        if number == 1:
            dtype = value
        elif number == 2:
            for n, _, dim in _fields(buf, *value):
                if n == 2:
                    shape.append(next((v for f, _, v in _fields(buf, *dim) if f == 1), 0))
        elif number == 4:
            content = buf[value[0] : value[1]]
        elif number == 5 and wire == 2:
            values.extend(struct.unpack(f"<{(value[1] - value[0]) // 4}f", buf[value[0] : value[1]]))
        elif number == 5:
            values.append(struct.unpack("<f", buf[value : value + 4])[0])
        elif number == 7 and wire == 2:
            pos = value[0]
            while pos < value[1]:
                v, pos = _varint(buf, pos)
                values.append(v - (1 << 64) if v >= 1 << 63 else v)
        elif number == 7:
            values.append(value)
    np_type = {_DT_FLOAT: np.float32, _DT_INT32: np.int32}.get(dtype)
    if np_type is None:
        raise ValueError(f"unsupported tensor type {dtype}")
    count = int(np.prod(shape)) if shape else 1
    if content is not None:
        return np.frombuffer(content, dtype=np_type).reshape(shape).copy()
    data = np.array(values or [0], dtype=np_type)
    return np.broadcast_to(data, (count,)).reshape(shape).copy() if data.size != count else data.reshape(shape)


def _text(buf: Any, span: tuple[int, int]) -> str:
    return bytes(buf[span[0] : span[1]]).decode()


def read_constants(path: Path, names: set[str]) -> dict[str, np.ndarray]:
    """The named Const nodes of a frozen GraphDef: node (1) → name (1), op (2), attr (5) with the
    tensor under key "value" (AttrValue.tensor is field 8)."""
    found: dict[str, np.ndarray] = {}
    if not names:
        return found
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        view = memoryview(buf)
        try:
            for number, _, node in _fields(view, 0, len(view)):
                if number != 1:
                    continue
                name, op, attrs = "", "", []
                for n, _, value in _fields(view, *node):
                    if n == 1:
                        name = _text(view, value)
                    elif n == 2:
                        op = _text(view, value)
                    elif n == 5:
                        attrs.append(value)
                if op != "Const" or name not in names:
                    continue
                for attr in attrs:
                    entry = {n: v for n, _, v in _fields(view, *attr)}
                    if _text(view, entry[1]) == "value":
                        tensor = next(v for n, _, v in _fields(view, *entry[2]) if n == 8)
                        found[name] = _tensor(view, *tensor)
        finally:
            view.release()
    return found


# ---- protobuf text format: OpenCV's .pbtxt ------------------------------------------------------
_TOKEN = re.compile(r'\s*(?:(#[^\n]*)|([A-Za-z_][\w.]*)|("(?:[^"\\]|\\.)*")|([{}:])|([-+]?[\d.]+(?:[eE][-+]?\d+)?))')


def parse_text_proto(text: str) -> dict[str, list[Any]]:
    """A text-format message as {field: [values]} (nested messages as dicts)."""
    tokens = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            if text[pos:].strip():
                raise ValueError(f"cannot read the text graph near {text[pos : pos + 30]!r}")
            break
        pos = m.end()
        if m.group(1) is None:
            tokens.append(m.group(0).strip())
    it = iter(tokens)

    def message() -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {}
        for tok in it:
            if tok == "}":
                return out
            nxt = next(it)
            if nxt == ":":
                nxt = next(it)
            if nxt == "{":
                out.setdefault(tok, []).append(message())
            else:
                out.setdefault(tok, []).append(_scalar(nxt))
        return out

    return message()


def _scalar(tok: str) -> Any:
    if tok.startswith('"'):
        return tok[1:-1].encode().decode("unicode_escape")
    if tok in ("true", "false"):
        return tok == "true"
    try:
        return int(tok)
    except ValueError:
        try:
            return float(tok)
        except ValueError:
            return tok  # an enum name such as DT_FLOAT


def _attr(node: dict, key: str, default: Any = None) -> Any:
    for a in node.get("attr", []):
        if a["key"][0] == key:
            value = a["value"][0]
            if "tensor" in value:
                t = value["tensor"][0]
                return [float(v) for v in t.get("float_val", [])] or [int(v) for v in t.get("int_val", [])]
            if "list" in value:
                return value["list"][0].get("i", [])
            return next(iter(value.values()))[0]
    return default


# Large kernels are stored as int16 steps of their output channel's largest weight: half of
# float32, and scores stay within 0.0002 of float32 ones (int8 moved them by up to 0.04, float16
# by 0.007 and widening it cost 60 ms a picture). Smaller kernels (depthwise, first layers) stay
# float32.
QUANTISE_FROM = 65536
STEPS = 32767


# ---- the net ----------------------------------------------------------------------------------
@dataclass
class _Conv:
    weight: np.ndarray  # TF layout (kh, kw, in, out); depthwise (kh, kw, channels)
    bias: np.ndarray  # float32 (out,)
    stride: int
    same: bool
    depthwise: bool
    relu6: bool = False
    scale: np.ndarray | None = None  # per output channel when weight holds int8 steps

    def compact(self) -> None:
        """Store a large kernel as int16 steps; the scale is applied to the layer's output, so a
        float copy of the weights exists only while that one layer runs."""
        if self.depthwise or self.weight.size < QUANTISE_FROM:
            return
        peak = np.abs(self.weight).reshape(-1, self.weight.shape[-1]).max(0)
        self.scale = (np.maximum(peak, 1e-12) / STEPS).astype(np.float32)
        self.weight = np.round(self.weight / self.scale).astype(np.int16)


@dataclass
class _Step:
    op: str
    name: str
    inputs: list[str]
    conv: _Conv | None = None
    params: dict[str, Any] = field(default_factory=dict)


class SsdNet:
    """forward(rgb uint8 HxWx3) → rows of (image, class id, score, x0, y0, x1, y1), boxes as
    fractions of the picture, like cv2.dnn's DetectionOutput."""

    def __init__(self, graph: Path, text_graph: Path, size: int):
        """size: the square input the model was trained at (the graph's placeholder leaves it open)."""
        nodes = parse_text_proto(Path(text_graph).read_text(encoding="utf-8"))["node"]
        by_name = {n["name"][0]: n for n in nodes}
        known = set(by_name)
        wanted = {i for n in nodes for i in n.get("input", []) if i not in known}
        consts = read_constants(Path(graph), wanted)
        for n in nodes:  # Const nodes written into the text graph itself
            if n["op"][0] == "Const":
                consts[n["name"][0]] = np.array(_attr(n, "value"))
        self.size = size
        self.steps = self._plan(nodes, consts)
        self._last_use = self._last_uses()

    # Build: fold FusedBatchNorm, BiasAdd and Relu6 into the convolution that feeds them.
    def _plan(self, nodes: list[dict], consts: dict[str, np.ndarray]) -> list[_Step]:
        readers: dict[str, int] = {}
        for n in nodes:
            for i in n.get("input", []):
                readers[i] = readers.get(i, 0) + 1
        steps: list[_Step] = []
        alias: dict[str, str] = {}
        convs: dict[str, _Step] = {}

        def src(name: str) -> str:
            while name in alias:
                name = alias[name]
            return name

        for n in nodes:
            name, op, inputs = n["name"][0], n["op"][0], list(n.get("input", []))
            if op in ("Conv2D", "DepthwiseConv2dNative"):
                w = consts[inputs[1]]
                depthwise = op == "DepthwiseConv2dNative"
                if depthwise:
                    w = w[..., 0] if w.shape[3] == 1 else _unsupported(name, "channel multiplier")
                stride = _attr(n, "strides", [1, 1, 1, 1])
                if stride[1] != stride[2] or any(d != 1 for d in _attr(n, "dilations", [1, 1, 1, 1])):
                    _unsupported(name, "uneven strides or dilation")
                conv = _Conv(
                    weight=w.astype(np.float32),
                    bias=np.zeros(w.shape[-1], np.float32),
                    stride=int(stride[1]),
                    same=_attr(n, "padding", "SAME") == "SAME",
                    depthwise=depthwise,
                )
                step = _Step("conv", name, [src(inputs[0])], conv)
                steps.append(step)
                convs[name] = step
            elif op in ("FusedBatchNorm", "BiasAdd", "Relu6") and src(inputs[0]) in convs and readers[inputs[0]] == 1:
                target = convs[src(inputs[0])].conv
                assert target is not None
                if target.relu6:
                    _unsupported(name, "an affine step after a clipped one")
                if op == "FusedBatchNorm":
                    gamma, beta, mean, var = (consts[i] for i in inputs[1:5])
                    scale = gamma / np.sqrt(var + np.float32(_attr(n, "epsilon", 1e-3)))
                    target.weight = target.weight * scale
                    target.bias = (target.bias - mean) * scale + beta
                elif op == "BiasAdd":
                    target.bias = target.bias + consts[inputs[1]]
                else:
                    target.relu6 = True
                alias[name] = src(inputs[0])
            elif op == "Identity":
                alias[name] = src(inputs[0])
            elif op in ("Mul", "Sub"):
                steps.append(_Step(op, name, [src(inputs[0])], params={"k": float(consts[inputs[1]].reshape(-1)[0])}))
            elif op in ("Add", "Relu6", "Flatten", "Sigmoid", "Placeholder"):
                steps.append(_Step(op, name, [src(i) for i in inputs]))
            elif op == "ConcatV2":
                steps.append(_Step(op, name, [src(i) for i in inputs if i not in consts]))
            elif op == "PriorBox":
                params = {
                    "widths": _attr(n, "width"),
                    "heights": _attr(n, "height"),
                    "variance": _attr(n, "variance"),
                    "clip": bool(_attr(n, "clip", False)),
                }
                if _attr(n, "flip", False) or params["widths"] is None:
                    _unsupported(name, "priors without explicit sizes")
                steps.append(_Step(op, name, [src(inputs[0])], params=params))
            elif op == "DetectionOutput":
                params = {k: _attr(n, k) for k in ("num_classes", "background_label_id", "nms_threshold", "top_k")}
                params |= {k: _attr(n, k) for k in ("keep_top_k", "confidence_threshold", "code_type")}
                params["transposed"] = any(_attr(by, "loc_pred_transposed", False) for by in nodes)
                if params["code_type"] != "CENTER_SIZE" or not _attr(n, "share_location", True):
                    _unsupported(name, "box coding other than shared CENTER_SIZE")
                steps.append(_Step(op, name, [src(i) for i in inputs], params=params))
            elif op != "Const":
                _unsupported(name, f"the operation {op}")
        for step in steps:
            if step.conv is not None:
                step.conv.compact()
        return steps

    def _last_uses(self) -> dict[str, int]:
        last: dict[str, int] = {}
        for i, step in enumerate(self.steps):
            for name in step.inputs:
                last[name] = i
        return last

    def forward(self, rgb: np.ndarray, score_floor: float = 0.0) -> np.ndarray:
        """Detections scoring above score_floor (and the graph's own confidence threshold).
        Rows above any floor are exactly those the graph's post-processing keeps: a lower score
        never suppresses a higher one, and the per-class and overall caps keep the best first."""
        import cv2

        picture = cv2.resize(rgb, (self.size, self.size), interpolation=cv2.INTER_LINEAR).astype(np.float32)
        env: dict[str, np.ndarray] = {}
        out = np.zeros((0, 7), np.float32)
        for i, step in enumerate(self.steps):
            args = [env[name] for name in step.inputs]
            if step.op == "Placeholder":
                value = picture
            elif step.op == "DetectionOutput":
                loc, conf, priors = args
                out = _detections(loc, conf, priors, step.params, score_floor)
                continue
            else:
                value = self._run(step, args)
            env[step.name] = value
            for name in step.inputs:
                if self._last_use.get(name) == i:
                    del env[name]
        return out

    def _run(self, step: _Step, args: list[np.ndarray]) -> np.ndarray:
        op = step.op
        if op == "conv":
            assert step.conv is not None
            return _convolve(args[0], step.conv)
        if op == "Mul":
            return args[0] * np.float32(step.params["k"])
        if op == "Sub":
            return args[0] - np.float32(step.params["k"])
        if op == "Add":
            return args[0] + args[1]
        if op == "Relu6":
            return np.clip(args[0], 0, 6)
        if op == "Flatten":
            return args[0].reshape(-1)  # activations are H x W x C, as TensorFlow flattens them
        if op == "ConcatV2":
            return np.concatenate(args, axis=-1)
        if op == "Sigmoid":
            return 1.0 / (1.0 + np.exp(-args[0]))
        if op == "PriorBox":
            return _priors(args[0].shape[:2], self.size, step.params)
        raise AssertionError(op)


def _unsupported(name: str, what: str) -> Any:
    raise ValueError(f"The object detector's graph uses {what} at {name}, which this reader does not support.")


def _pads(size: int, k: int, stride: int, same: bool) -> tuple[int, int, int]:
    """(output size, pad before, pad after), TensorFlow's rule: SAME pads the end more."""
    if not same:
        return (size - k) // stride + 1, 0, 0
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return out, total // 2, total - total // 2


def _convolve(x: np.ndarray, conv: _Conv) -> np.ndarray:
    h, w, c = x.shape
    kh, kw = conv.weight.shape[:2]
    s = conv.stride
    oh, top, bottom = _pads(h, kh, s, conv.same)
    ow, left, right = _pads(w, kw, s, conv.same)
    if kh == kw == 1 and not conv.depthwise:
        flat = np.ascontiguousarray(x[::s, ::s]).reshape(-1, c)
        out = (flat @ conv.weight.reshape(c, -1).astype(np.float32, copy=False)).reshape(oh, ow, -1)
    else:
        xp = np.pad(x, ((top, bottom), (left, right), (0, 0))) if top + bottom + left + right else x
        # Taps that only ever see padding add nothing: on the 1x1 to 3x3 maps at the end of the
        # net most of a 3x3 kernel does not take part.
        ys = [dy for dy in range(kh) if _touches(dy, s, oh, top, h)]
        xs = [dx for dx in range(kw) if _touches(dx, s, ow, left, w)]
        taps = [(dy, dx, xp[dy : dy + s * (oh - 1) + 1 : s, dx : dx + s * (ow - 1) + 1 : s]) for dy in ys for dx in xs]
        if conv.depthwise:
            out = np.zeros((oh, ow, c), np.float32)
            tmp = np.empty_like(out)
            for dy, dx, tap in taps:
                out += np.multiply(tap, conv.weight[dy, dx], out=tmp)
        else:
            cols = np.empty((oh, ow, len(taps), c), np.float32)
            for i, (_, _, tap) in enumerate(taps):
                cols[:, :, i] = tap
            kernel = conv.weight[ys[0] : ys[-1] + 1, xs[0] : xs[-1] + 1].reshape(-1, conv.weight.shape[-1])
            out = (cols.reshape(oh * ow, -1) @ kernel.astype(np.float32, copy=False)).reshape(oh, ow, -1)
    if conv.scale is not None:
        out *= conv.scale
    out += conv.bias
    if conv.relu6:
        np.clip(out, 0, 6, out=out)
    return out


def _touches(k: int, stride: int, out: int, pad: int, size: int) -> bool:
    """Whether kernel offset k reads at least one real (unpadded) row for some output row."""
    return any(pad <= k + stride * i < pad + size for i in range(out))


def _priors(shape: tuple[int, ...], image: int, p: dict) -> np.ndarray:
    """OpenCV's PriorBox with explicit sizes: centres at (cell + 0.5) * step, boxes normalised.
    Returns (2, N * 4): the boxes, then their variances."""
    rows, cols = shape
    step_y, step_x = image / rows, image / cols
    cy, cx = np.meshgrid((np.arange(rows) + 0.5) * step_y, (np.arange(cols) + 0.5) * step_x, indexing="ij")
    cx, cy = cx[..., None], cy[..., None]
    bw, bh = np.asarray(p["widths"], np.float32) / 2, np.asarray(p["heights"], np.float32) / 2
    boxes = np.stack([(cx - bw) / image, (cy - bh) / image, (cx + bw) / image, (cy + bh) / image], axis=-1)
    if p["clip"]:
        boxes = np.clip(boxes, 0, 1)
    boxes = boxes.astype(np.float32).reshape(-1)
    return np.stack([boxes, np.tile(np.asarray(p["variance"], np.float32), boxes.size // 4)])


def _detections(loc: np.ndarray, conf: np.ndarray, priors: np.ndarray, p: dict, floor: float) -> np.ndarray:
    """OpenCV's DetectionOutput (CENTER_SIZE, shared locations, per-class greedy NMS)."""
    classes = int(p["num_classes"])
    conf = conf.reshape(-1, classes)
    loc = loc.reshape(-1, 4)
    prior, var = priors.reshape(2, -1, 4)
    pw, ph = prior[:, 2] - prior[:, 0], prior[:, 3] - prior[:, 1]
    pcx, pcy = (prior[:, 0] + prior[:, 2]) / 2, (prior[:, 1] + prior[:, 3]) / 2
    ty, tx, th, tw = loc.T if p["transposed"] else loc[:, [1, 0, 3, 2]].T
    cx, cy = var[:, 0] * tx * pw + pcx, var[:, 1] * ty * ph + pcy
    w, h = np.exp(var[:, 2] * tw) * pw, np.exp(var[:, 3] * th) * ph
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    bar = max(float(p["confidence_threshold"]), floor)
    rows = []
    for c in range(classes):
        if c == int(p["background_label_id"]):
            continue
        scores = conf[:, c]
        idx = np.nonzero(scores > bar)[0]
        if idx.size == 0:
            continue
        order = idx[np.argsort(-scores[idx], kind="stable")][: int(p["top_k"])]
        for i in _nms(boxes[order], float(p["nms_threshold"])):
            k = order[i]
            rows.append((0.0, float(c), float(scores[k]), *boxes[k]))
    rows.sort(key=lambda r: -r[2])
    return np.array(rows[: int(p["keep_top_k"])], np.float32).reshape(-1, 7)


def _nms(boxes: np.ndarray, threshold: float) -> list[int]:
    kept: list[int] = []
    areas = np.maximum(boxes[:, 2] - boxes[:, 0], 0) * np.maximum(boxes[:, 3] - boxes[:, 1], 0)
    for i in range(len(boxes)):
        if kept:
            k = np.array(kept)
            iw = np.minimum(boxes[k, 2], boxes[i, 2]) - np.maximum(boxes[k, 0], boxes[i, 0])
            ih = np.minimum(boxes[k, 3], boxes[i, 3]) - np.maximum(boxes[k, 1], boxes[i, 1])
            inter = np.where((iw > 0) & (ih > 0), iw * ih, 0.0)
            union = areas[k] + areas[i] - inter
            overlap = np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)
            if (overlap > threshold).any():
                continue
        kept.append(i)
    return kept
