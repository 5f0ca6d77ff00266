"""say / transcribe / route / listen sub-commands."""

from __future__ import annotations

from ..errors import EXIT_BAD_INPUT, EXIT_OK, EXIT_UNAVAILABLE, AssistantError
from ..events import Request, options_for
from ..safety import trusted
from .output import err, gated, out, out_json


def register(sub) -> None:
    p = sub.add_parser("say", help="speak text aloud, or save the speech to a file")
    p.add_argument("text")
    p.add_argument("--to", metavar="FILE", help="write the speech to FILE (.wav, .flac or .ogg) instead of playing it")
    p.add_argument("--rate", type=int, help="words per minute (default from settings)")
    p.add_argument("--voice", help="voice id (see --list-voices)")
    p.add_argument("--list-voices", action="store_true", help="list the voices and exit")
    p.set_defaults(func=cmd_say)

    p = sub.add_parser("transcribe", help="turn a recording of speech into text")
    p.add_argument("path")
    p.add_argument("--model", metavar="PRESET", help="speech preset (default: settings.models.stt_preset)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_transcribe, speak=False)

    p = sub.add_parser("route", help="show which command an utterance is understood as")
    p.add_argument("utterance")
    p.add_argument("--has-image", action="store_true", help="as if a picture were open")
    p.add_argument("--last-spoken", action="store_true", help="as if the last answer had just been spoken")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_route)

    p = sub.add_parser("listen", help="record one spoken command from the microphone and route it")
    p.add_argument("--seconds", type=float, default=15.0, help="longest recording (default 15)")
    p.add_argument("--vad", choices=["silero", "energy"], default="silero", help="how the end of speech is found")
    p.add_argument("--has-image", action="store_true")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_listen)


def _tts(args):
    from ..config import Settings
    from ..speech.tts import TextToSpeech

    settings = Settings.load()
    tts = TextToSpeech.from_settings(settings.speech, output="auto" if not getattr(args, "to", None) else None)
    if getattr(args, "rate", None):
        tts.rate = args.rate
    if getattr(args, "voice", None):
        tts.voice = args.voice
    return tts


def cmd_say(args) -> int:
    tts = _tts(args)
    try:
        if args.list_voices:
            voices = tts.voices()
            if not voices:
                err(gated(tts.problem or "No voices were found."))
                return EXIT_UNAVAILABLE
            for v in voices:
                out(gated(f"{v.id:<24} {v.name:<28} {','.join(v.languages)}"))
            return EXIT_OK
        if not args.text.strip():
            err(trusted("Please give some text to say."))
            return EXIT_BAD_INPUT
        text = gated(args.text)  # user text is filtered too, with the same masking as answers
        if args.to:
            path = tts.save(text, args.to)
            err(gated(f"Saved the speech to {path}"))
            return EXIT_OK
        if not tts.can_speak:
            out(text)
            err(gated(f"{tts.problem} Use --to FILE to save the speech instead."))
            return EXIT_UNAVAILABLE
        tts.speak(text)
        tts.wait()
        return EXIT_OK
    except AssistantError as exc:
        err(gated(exc.message))
        return exc.exit_code
    finally:
        tts.close()


def cmd_transcribe(args) -> int:
    from .core import run_request

    options = options_for("transcribe", audio=args.path, stt_preset=args.model)
    return run_request(Request("transcribe", options=options), args)


def _print_intent(intent, heard=None, as_json: bool = False) -> None:
    if as_json:
        out_json({**({"heard": heard} if heard is not None else {}), **intent.as_dict()})
        return
    if heard is not None:
        out(gated(f"heard: {heard}"))
    out(gated(f"intent: {intent.name}"))
    for key, value in intent.slots.items():
        out(gated(f"{key}: {value}"))
    out(gated(f"confidence: {intent.confidence:.2f}"))
    if intent.clarification:
        out(gated(f"clarification: {intent.clarification}"))


def _engine():
    from .core import make_engine

    return make_engine()


def cmd_route(args) -> int:
    try:
        intent = _engine().route(args.utterance, has_image=args.has_image, last_answer_spoken=args.last_spoken)
    except AssistantError as exc:
        err(gated(exc.message))
        return exc.exit_code
    _print_intent(intent, as_json=args.json)
    return EXIT_OK


def cmd_listen(args) -> int:
    from ..speech.audio import microphone_problem, record_utterance

    if problem := microphone_problem():
        err(gated(problem))
        return EXIT_UNAVAILABLE
    engine = _engine()
    try:
        err(trusted("Listening… speak now."))
        audio = record_utterance(max_seconds=args.seconds, endpointer=args.vad)
        heard = engine.run_to_result(Request("transcribe", options=options_for("transcribe", audio=audio)))
        if not hasattr(heard, "text"):
            err(heard.message)
            return heard.exit_code
        intent = engine.route(heard.text, has_image=args.has_image)
    except AssistantError as exc:
        err(gated(exc.message))
        return exc.exit_code
    _print_intent(intent, heard=heard.text, as_json=args.json)
    return EXIT_OK
