"""Request handler for speech input (transcribe).

    Request("transcribe", options=TranscribeOptions(audio="command.wav"))  # or bytes, or 16 kHz samples
    → Progress("load_model"), Progress("transcribe"), Result(intent="transcribe", text=…)

The transcript is raw: the engine gates it like every other output.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from ..context import Context
from ..errors import BadInput
from ..events import HandlerEvent, Outcome, Request, Stage


def handle_transcribe(ctx: Context, request: Request) -> Iterator[HandlerEvent]:
    from .stt import load_audio, transcriber_for

    t0 = time.perf_counter()
    audio = request.option("audio")
    if audio is None or (isinstance(audio, str) and not audio.strip()):
        raise BadInput("Please give a recording to transcribe.")
    preset = request.option("stt_preset", ctx.settings.models.stt_preset)
    # The recording is checked and decoded first: a bad file is said at once, before the
    # speech model loads (and it never decodes more than max_audio_seconds).
    samples = load_audio(audio, max_seconds=ctx.settings.max_audio_seconds, max_file_mb=ctx.settings.max_file_mb)
    yield Stage("load_model", "Loading the speech model.")
    transcriber = transcriber_for(ctx.store, preset)
    load_ms = (time.perf_counter() - t0) * 1000
    ctx.check_cancelled()
    yield Stage("transcribe", "Listening to the recording.")
    transcript = transcriber.transcribe(samples)
    ctx.check_cancelled()
    timings = {"load_model": load_ms, **transcript.timings_ms, "total": (time.perf_counter() - t0) * 1000}
    yield Outcome(
        "transcribe",
        text=transcript.text.strip(),
        backend="faster-whisper",
        model=transcript.model,
        timings_ms=timings,
        extra={"duration_s": round(transcript.duration_s, 2), "decode": transcript.path},
    )


HANDLERS = {"transcribe": handle_transcribe}
