"""How long from speak() until the text reaches speech-dispatcher's output module (spoken.txt),
straight through SpeechDispatcherOutput and through the Speaker (its per-output thread), measured
side by side in one run against a private speech-dispatcher with a file-writing module.

    .venv/bin/python bench/speech_outputs.py [rounds]

Prints medians and their ratio. Shared 2-core machine: expect noise; compare within one run."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.safety import trusted
from assistant.speech.output import Speaker
from assistant.speech.output.speechd_output import SpeechDispatcherOutput
from tests.speech import speechd_capture


def until_line(capture, count: int, timeout: float = 10.0) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(capture.spoken()) >= count:
            return time.perf_counter()
        time.sleep(0.0005)
    raise TimeoutError("speech-dispatcher did not write the line")


def main(rounds: int = 30) -> None:
    capture = speechd_capture.start(Path(tempfile.mkdtemp(prefix="bench-ear-")))
    try:
        direct = SpeechDispatcherOutput(address=capture.address)
        speaker = Speaker([SpeechDispatcherOutput(address=capture.address)])
        connect_start = time.perf_counter()
        assert direct.available  # first connection (SET CLIENT_NAME, notifications)
        connect_ms = (time.perf_counter() - connect_start) * 1000
        results: dict[str, list[float]] = {"output.speak": [], "Speaker.say": []}
        count = 0
        for i in range(rounds):
            for name in results:  # interleaved so both see the same machine load
                text = trusted(f"Benchmark sentence {i} for {name}.")
                start = time.perf_counter()
                if name == "output.speak":
                    direct.speak(text)
                else:
                    speaker.say(text)
                count += 1
                results[name].append((until_line(capture, count) - start) * 1000)
        print(f"first connection: {connect_ms:.1f} ms")
        for name, values in results.items():
            spread = f"min {min(values):.1f}, max {max(values):.1f}, n={len(values)}"
            print(f"{name:>13}: median {statistics.median(values):.1f} ms  ({spread})")
        ratio = statistics.median(results["Speaker.say"]) / statistics.median(results["output.speak"])
        print(f"Speaker / direct: {ratio:.2f}x")
        direct.close()
        speaker.close()
    finally:
        capture.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
