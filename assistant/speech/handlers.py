"""Engine handlers for speech input (transcribe), registered into Engine._handlers.

    Request("transcribe", options={"audio": "command.wav"})   # or bytes, or a 16 kHz array
    → Progress("load_model"), Progress("transcribe"), Result(intent="transcribe", text=…)

The transcript passes the safety gate like every other output.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from ..errors import BadInput
from ..safety import SafetyVerdict


def _handle_transcribe(engine, request) -> Iterator:
    from ..engine import Progress, Result
    from .stt import transcriber_for

    t0 = time.perf_counter()
    audio = request.options.get("audio")
    if audio is None or (isinstance(audio, str) and not audio.strip()):
        raise BadInput("Please give a recording to transcribe.")
    preset = request.options.get("stt_preset") or engine.settings.models.stt_preset
    yield Progress("load_model", "Loading the speech model.")
    transcriber = transcriber_for(engine.store, preset)
    load_ms = (time.perf_counter() - t0) * 1000
    engine.check_cancelled()
    yield Progress("transcribe", "Listening to the recording.")
    transcript = transcriber.transcribe(audio)
    engine.check_cancelled()
    verdict = SafetyVerdict()
    text = engine.gated_str(transcript.text, verdict).strip()
    timings = {"load_model": load_ms, **transcript.timings_ms, "total": (time.perf_counter() - t0) * 1000}
    yield Result(
        intent="transcribe",
        text=text,
        backend="faster-whisper",
        model=transcript.model,
        timings_ms=timings,
        safety=verdict,
        extra={"duration_s": round(transcript.duration_s, 2), "decode": transcript.path},
    )


HANDLERS: dict = {"transcribe": _handle_transcribe}
