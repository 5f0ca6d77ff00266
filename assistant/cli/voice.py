"""say / transcribe / route / listen sub-commands."""

from __future__ import annotations

import json
import sys

from . import EXIT_BAD_INPUT, EXIT_OK, EXIT_UNAVAILABLE


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
    from ..errors import AssistantError

    tts = _tts(args)
    try:
        if args.list_voices:
            voices = tts.voices()
            if not voices:
                print(tts.problem or "No voices were found.", file=sys.stderr)
                return EXIT_UNAVAILABLE
            for v in voices:
                print(f"{v.id:<24} {v.name:<28} {','.join(v.languages)}")
            return EXIT_OK
        if not args.text.strip():
            print("Please give some text to say.", file=sys.stderr)
            return EXIT_BAD_INPUT
        if args.to:
            path = tts.save(args.text, args.to)
            print(f"Saved the speech to {path}", file=sys.stderr)
            return EXIT_OK
        if not tts.can_speak:
            print(args.text)
            print(f"{tts.problem} Use --to FILE to save the speech instead.", file=sys.stderr)
            return EXIT_UNAVAILABLE
        tts.speak(args.text)
        tts.wait()
        return EXIT_OK
    except AssistantError as exc:
        print(exc.message, file=sys.stderr)
        return exc.exit_code
    finally:
        tts.close()


def cmd_transcribe(args) -> int:
    from ..engine import Request
    from .core import run_request

    options = {"audio": args.path}
    if args.model:
        options["stt_preset"] = args.model
    return run_request(Request("transcribe", options=options), args)


def _print_intent(intent, as_json: bool) -> None:
    if as_json:
        print(json.dumps(intent.as_dict(), ensure_ascii=False))
        return
    print(f"intent: {intent.name}")
    for key, value in intent.slots.items():
        print(f"{key}: {value}")
    print(f"confidence: {intent.confidence:.2f}")
    if intent.clarification:
        print(f"clarification: {intent.clarification}")


def cmd_route(args) -> int:
    from ..errors import AssistantError
    from ..router import Router

    try:
        intent = Router().route(args.utterance, has_image=args.has_image, last_answer_spoken=args.last_spoken)
    except AssistantError as exc:
        print(exc.message, file=sys.stderr)
        return exc.exit_code
    _print_intent(intent, args.json)
    return EXIT_OK


def cmd_listen(args) -> int:
    from ..config import Settings
    from ..errors import AssistantError
    from ..models import ModelStore
    from ..router import Router
    from ..speech.audio import microphone_problem, record_utterance
    from ..speech.stt import transcriber_for

    if problem := microphone_problem():
        print(problem, file=sys.stderr)
        return EXIT_UNAVAILABLE
    try:
        transcriber = transcriber_for(ModelStore(), Settings.load().models.stt_preset)
        print("Listening… speak now.", file=sys.stderr, flush=True)
        audio = record_utterance(max_seconds=args.seconds, endpointer=args.vad)
        transcript = transcriber.transcribe(audio)
        intent = Router().route(transcript.text, has_image=args.has_image)
    except AssistantError as exc:
        print(exc.message, file=sys.stderr)
        return exc.exit_code
    if not args.json:
        print(f"heard: {transcript.text}")
    else:
        print(json.dumps({"heard": transcript.text, **intent.as_dict()}, ensure_ascii=False))
        return EXIT_OK
    _print_intent(intent, False)
    return EXIT_OK
