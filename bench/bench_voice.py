"""Voice benchmark: speech output, speech input, routing, and spoken command → intent.

  tts first audio   speak() of a three-sentence answer until its first samples reach the output
  tts render        rendering the whole answer to samples (pyttsx3 + espeak-ng)
  tts stop          stop() during playback until is_speaking is False
  transcribe 3 s    Whisper tiny.en on a ~3 s spoken command: short-context path (used) and
                    the standard 30 s path (for the ratio)
  route             Router.route per utterance: rules only, and embedding (nearest example)
  end to end        WAV file of a spoken command → transcript → intent (models loaded)
  accuracy          router on resources/router_heldout.toml (phrasings never matched against)

Target: spoken 3 s command → intent <= 0.6 s. Commands are spoken by espeak-ng. Prints medians,
CPU seconds (comparable when other work shares the machine) and the load average.
Never part of pass/fail.

    python bench/bench_voice.py [--runs 7] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ANSWER = (
    "The window shows a login form with two fields. The first field asks for your email "
    "address. Below it there is a blue button labelled Sign in."
)
COMMAND_3S = "Um, could you please tell me what this says?"
E2E_COMMANDS = [
    ("Um, could you please tell me what this says?", True, "read_text"),
    ("Take a screenshot of this window.", False, "describe_window"),
    ("Draw a lighthouse at sunset.", False, "generate"),
    ("What colour is the button in the top right corner?", True, "ask"),
]


def median_ms(values: list[float]) -> float:
    return round(statistics.median(values) * 1000, 1)


class FirstAudioOutput:
    """An audio output that notes when the first samples arrive (no sound card needed)."""

    def __init__(self):
        self.first = threading.Event()
        self.at = 0.0

    def play(self, samples, rate, cancelled):
        if not self.first.is_set():
            self.at = time.perf_counter()
            self.first.set()


def bench_tts(runs: int) -> dict:
    from assistant.speech.tts import TextToSpeech

    tts = TextToSpeech(output=None, notice=None)
    tts.synthesize("Warm up.")
    first, render = [], []
    for _ in range(runs):
        out = FirstAudioOutput()
        speaker = TextToSpeech(output=out, notice=None)
        t0 = time.perf_counter()
        speaker.speak(ANSWER)
        out.first.wait(30)
        first.append(out.at - t0)
        speaker.wait(30)
        t0 = time.perf_counter()
        samples, rate = tts.synthesize(ANSWER)
        render.append(time.perf_counter() - t0)
    return {
        "tts_first_audio_ms": median_ms(first),
        "tts_render_answer_ms": median_ms(render),
        "answer_audio_s": round(len(samples) / rate, 2),
        "tts_stop_ms": bench_stop(runs),
    }


def bench_stop(runs: int) -> float:
    """stop() while a long answer plays (paced like a sound card) until is_speaking is False."""
    from assistant.speech.tts import RecordingOutput, TextToSpeech

    times = []
    for _ in range(runs):
        speaker = TextToSpeech(output=RecordingOutput(realtime=True), notice=None)
        speaker.speak(ANSWER * 4)
        time.sleep(0.5)
        t0 = time.perf_counter()
        speaker.stop()
        while speaker.is_speaking:
            time.sleep(0.001)
        times.append(time.perf_counter() - t0)
    return median_ms(times)


def spoken(tts, text: str, folder: Path, name: str) -> Path:
    return tts.save(text, folder / f"{name}.wav")


def bench_stt_and_route(runs: int, folder: Path) -> dict:
    from assistant.models import ModelStore
    from assistant.router import Router
    from assistant.speech.stt import load_audio, transcriber_for
    from assistant.speech.tts import TextToSpeech

    voice = TextToSpeech(rate=150, voice="gmw/en-us", output=None, notice=None)
    t0 = time.perf_counter()
    transcriber = transcriber_for(ModelStore(), "whisper-tiny-en")
    load_whisper = time.perf_counter() - t0
    t0 = time.perf_counter()
    router = Router()
    router.load()
    load_router = time.perf_counter() - t0

    wav = spoken(voice, COMMAND_3S, folder, "command")
    audio = load_audio(str(wav))
    transcriber.transcribe(audio)  # warm-up
    short, full, cpu = [], [], []
    for _ in range(runs):
        c0, t0 = time.process_time(), time.perf_counter()
        text = transcriber.transcribe(audio).text
        short.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        t0 = time.perf_counter()
        with transcriber._lock:
            transcriber._full(audio)
        full.append(time.perf_counter() - t0)

    heldout = tomllib.loads((ROOT / "resources" / "router_heldout.toml").read_text())["cases"]
    rule_times, embed_times, right = [], [], 0
    for case in heldout:
        t0 = time.perf_counter()
        intent = router.route(case["text"], has_image=case["image"])
        elapsed = time.perf_counter() - t0
        (rule_times if intent.confidence >= 0.95 and not intent.clarification else embed_times).append(elapsed)
        right += intent.name == case["intent"] and not intent.clarification

    e2e, e2e_right = [], 0
    files = [
        (spoken(voice, text, folder, f"e2e{i}"), image, want) for i, (text, image, want) in enumerate(E2E_COMMANDS)
    ]
    for _ in range(max(1, runs // 2)):
        for path, image, want in files:
            t0 = time.perf_counter()
            heard = transcriber.transcribe(str(path)).text
            intent = router.route(heard, has_image=image)
            e2e.append(time.perf_counter() - t0)
            e2e_right += intent.name == want
    return {
        "load_whisper_ms": round(load_whisper * 1000),
        "load_router_ms": round(load_router * 1000),
        "command_audio_s": round(len(audio) / 16000, 2),
        "command_heard": text,
        "transcribe_3s_short_ms": median_ms(short),
        "transcribe_3s_short_cpu_ms": median_ms(cpu),
        "transcribe_3s_full30s_ms": median_ms(full),
        "short_path_speedup": round(statistics.median(full) / statistics.median(short), 1),
        "route_rule_ms": median_ms(rule_times) if rule_times else None,
        "route_embedding_ms": median_ms(embed_times) if embed_times else None,
        "route_rule_share": round(len(rule_times) / len(heldout), 2),
        "e2e_spoken_command_to_intent_ms": median_ms(e2e),
        "e2e_max_ms": round(max(e2e) * 1000, 1),
        "e2e_correct": f"{e2e_right}/{len(e2e)}",
        "heldout_accuracy": round(right / len(heldout), 3),
        "heldout_cases": len(heldout),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        figures = {**bench_tts(args.runs), **bench_stt_and_route(args.runs, Path(folder))}
    figures["load_average"] = [round(x, 2) for x in os.getloadavg()]
    figures["target_e2e_ms"] = 600
    figures["meets_target"] = figures["e2e_spoken_command_to_intent_ms"] <= 600
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:<34} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
