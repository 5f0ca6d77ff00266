"""The ImageNet hint's numpy EfficientNet-Lite0 and its torch-free state-dict reader.

The numpy network is checked against the same network in torch (tests/lite0_torch.py) on real
photos; the reader against torch.load, and against files that ask the unpickler to run code."""

from __future__ import annotations

import os
import pickle
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from assistant.vision.classify import ImageNetClassifier, preprocess, softmax, weights_path
from assistant.vision.statedict import UnsafeCheckpoint, load_state_dict

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ROOT / "bench" / "eval" / "photos"
# Real photos: four from scikit-image's data, two from scikit-learn's, four more from the evaluation set
NAMES = ["astronaut.png", "chelsea.png", "coffee.png", "brick.png", "china.jpg", "flower.jpg", "rocket.jpg"]


@pytest.fixture(scope="module")
def classifier():
    c = ImageNetClassifier()
    c._load()
    return c


@pytest.fixture(scope="module")
def reference():
    from tests.lite0_torch import load_network

    return load_network()


@pytest.mark.parametrize("name", NAMES)
def test_numpy_network_matches_torch(classifier, reference, name):
    import torch

    x = preprocess(Image.open(PHOTOS / name))
    with torch.inference_mode():
        expected = torch.softmax(reference(torch.from_numpy(x)).double(), dim=1)[0].numpy()
    got = softmax(classifier._net.logits(np.ascontiguousarray(x[0].transpose(1, 2, 0))))
    assert np.abs(got - expected).max() < 1e-4
    assert list(np.argsort(-got)[:5]) == list(np.argsort(-expected)[:5])


def test_top_gives_labels_in_order(classifier):
    top = classifier.top(Image.open(PHOTOS / "coffee.png"), k=3)
    assert top[0].label == "espresso" and top[0].probability > 0.5
    assert top[0].probability >= top[1].probability >= top[2].probability


# ---- the state-dict reader ---------------------------------------------------------------------
def test_reads_the_shipped_file_like_torch():
    import torch

    expected = torch.load(weights_path(), map_location="cpu", weights_only=True)
    got = load_state_dict(weights_path())
    assert set(got) == set(expected)
    for key, tensor in expected.items():
        assert got[key].dtype == tensor.numpy().dtype and np.array_equal(got[key], tensor.numpy()), key


@pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy"])
def test_reads_offsets_strides_and_shared_storage(tmp_path, zip_format):
    import torch

    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    state = {
        "transposed": base.t(),  # strides (1, 6)
        "offset": base[1:3, 2:5],  # storage offset 8, shares base's storage
        "base": base,
        "count": torch.tensor(7, dtype=torch.int64),
        "half": torch.linspace(-1, 1, 5, dtype=torch.float16),
    }
    path = tmp_path / "small.pth"
    torch.save(state, path, _use_new_zipfile_serialization=zip_format)
    assert zipfile.is_zipfile(path) == zip_format
    got = load_state_dict(path)
    for key, tensor in state.items():
        assert got[key].shape == tuple(tensor.shape) and got[key].dtype == tensor.numpy().dtype
        assert np.array_equal(got[key], tensor.contiguous().numpy()), key
        assert got[key].flags.c_contiguous


class _RunsACommand:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class _Evaluates:
    def __reduce__(self):
        return (eval, ("__import__('os').getpid()",))


def _legacy_file(path: Path, payload: bytes) -> None:
    header = pickle.dumps(0x1950A86A20F9469CFC6C, 2) + pickle.dumps(1001, 2)
    header += pickle.dumps({"protocol_version": 1001, "little_endian": True}, 2)
    path.write_bytes(header + payload + pickle.dumps([], 2))


def _zip_file(path: Path, payload: bytes) -> None:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", payload)
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/version", "3\n")


@pytest.mark.parametrize("write", [_zip_file, _legacy_file], ids=["zip", "legacy"])
def test_refuses_a_pickle_that_runs_a_command(tmp_path, write):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.pth"
    write(path, pickle.dumps({"weight": _RunsACommand(marker)}, 2))
    with pytest.raises(UnsafeCheckpoint, match="os|posix"):
        load_state_dict(path)
    assert not marker.exists()


@pytest.mark.parametrize("write", [_zip_file, _legacy_file], ids=["zip", "legacy"])
def test_refuses_other_callables(tmp_path, write):
    path = tmp_path / "evil.pth"
    write(path, pickle.dumps({"weight": _Evaluates()}, 2))
    with pytest.raises(UnsafeCheckpoint, match=r"builtin\w*\.eval"):
        load_state_dict(path)


def test_refuses_a_command_in_the_legacy_header(tmp_path):
    """The pickles before the state dict are read by the same restricted unpickler."""
    marker = tmp_path / "ran"
    path = tmp_path / "evil.pth"
    path.write_bytes(pickle.dumps(_RunsACommand(marker), 2) + b"rest")
    with pytest.raises(UnsafeCheckpoint):
        load_state_dict(path)
    assert not marker.exists()


def test_refuses_torch_names_a_state_dict_does_not_need(tmp_path):
    path = tmp_path / "param.pth"
    # GLOBAL opcode for a real torch function that is not on the list
    _zip_file(path, b"\x80\x02ctorch._utils\n_rebuild_parameter\nq\x00.")
    with pytest.raises(UnsafeCheckpoint, match="_rebuild_parameter"):
        load_state_dict(path)


def test_damaged_file_is_a_value_error(tmp_path):
    path = tmp_path / "short.pth"
    data = weights_path().read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError):
        load_state_dict(path)
    (tmp_path / "junk.pth").write_bytes(struct.pack("<q", 5) + b"not a pickle")
    with pytest.raises(ValueError):
        load_state_dict(tmp_path / "junk.pth")


# ---- the app's process ---------------------------------------------------------------------------
_DESCRIBE_WITHOUT_TORCH = """
import sys
from PIL import Image
from assistant.config import EmbeddedSettings
from assistant.vision.embedded import EmbeddedBackend

backend = EmbeddedBackend(settings=EmbeddedSettings(imagenet_hints=True))
image = Image.open(sys.argv[1]).convert("RGB")
text = "".join(backend.describe(image))
analysis = backend.analyse(image)
assert analysis.hint is not None, "the hint never started"
analysis.hint.result(timeout=120)
assert backend._classifier._net is not None, "the classifier never ran"
print("torch" in sys.modules, [m for m in sys.modules if m.startswith("torch")][:3])
"""


@pytest.mark.slow
def test_describing_a_photo_never_imports_torch():
    # china.jpg: a photo with no COCO object, so the ImageNet hint runs
    out = subprocess.run(
        [sys.executable, "-c", _DESCRIBE_WITHOUT_TORCH, str(PHOTOS / "china.jpg")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().startswith("False"), out.stdout


def test_reader_never_imports_torch():
    code = (
        "import sys; from assistant.vision.statedict import load_state_dict;"
        "from assistant.vision.classify import weights_path; load_state_dict(weights_path());"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.stdout.strip() == "False", out.stderr[-2000:]
