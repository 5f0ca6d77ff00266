"""describe / ask / read / models sub-commands."""

from __future__ import annotations

import json
import sys

from . import EXIT_BAD_INPUT, EXIT_OK, EXIT_UNAVAILABLE


def add_output_options(p, speak: bool = True) -> None:
    p.add_argument("--json", action="store_true", help="print one JSON object instead of streaming text")
    if speak:
        p.add_argument("--speak", action="store_true", help="also speak the answer as it is generated")


def register(sub) -> None:
    p = sub.add_parser("describe", help="describe an image")
    p.add_argument("path")
    p.add_argument("--detail", choices=["quick", "full"], default=None)
    p.add_argument("--backend", choices=["auto", "embedded", "vlm"], default=None)
    add_output_options(p)
    p.set_defaults(func=cmd_describe)

    p = sub.add_parser("ask", help="ask a question about an image")
    p.add_argument("path")
    p.add_argument("question")
    p.add_argument("--backend", choices=["auto", "embedded", "vlm"], default=None)
    add_output_options(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("read", help="read the text in an image, in reading order")
    p.add_argument("path")
    add_output_options(p)
    p.set_defaults(func=cmd_read)

    p = sub.add_parser("models", help="list, download, check or remove models")
    msub = p.add_subparsers(dest="models_command", metavar="ACTION")
    q = msub.add_parser("list", help="list model presets")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_models_list)
    q = msub.add_parser("pull", help="download a preset (once; resumable)")
    q.add_argument("preset")
    q.set_defaults(func=cmd_models_pull)
    q = msub.add_parser("verify", help="check a preset's files (all installed presets if none given)")
    q.add_argument("preset", nargs="?")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_models_verify)
    q = msub.add_parser("remove", help="delete a downloaded preset")
    q.add_argument("preset")
    q.set_defaults(func=cmd_models_remove)
    q = msub.add_parser("add-local", help="use a model folder already on disk as a preset")
    q.add_argument("name")
    q.add_argument("path")
    q.add_argument(
        "--task",
        required=True,
        choices=["image-text-to-text", "speech-recognition", "text-to-image", "image-edit", "autoencoder"],
    )
    q.add_argument("--licence", default="unknown")
    q.set_defaults(func=cmd_models_add_local)
    p.set_defaults(func=lambda args: (p.print_help(), EXIT_OK)[1])


# ---- running requests ------------------------------------------------------------------------
def make_engine(args=None):
    from ..engine import Engine

    return Engine()


def run_request(request, args) -> int:
    """Run one request, stream or print JSON, speak if asked; return the exit code."""
    from ..engine import ErrorEvent, Progress, Result, TextChunk

    engine = make_engine(args)
    sink = None
    if getattr(args, "speak", False):
        from ..speech.sink import SpeechSink  # speaks chunks sentence by sentence

        sink = SpeechSink.create(engine.settings)
    final = None
    streamed = False
    interactive = sys.stderr.isatty()
    for event in engine.run(request):
        if sink:
            sink.feed(event)
        if isinstance(event, Progress) and interactive and not args.json:
            print(f"… {event.message}", file=sys.stderr, flush=True)
        elif isinstance(event, TextChunk) and not args.json:
            sys.stdout.write(event.text)
            sys.stdout.flush()
            streamed = True
        elif isinstance(event, (Result, ErrorEvent)):
            final = event
    if sink:
        sink.finish()
    if isinstance(final, ErrorEvent):
        if args.json:
            print(json.dumps({"error": {"kind": final.kind, "message": final.message}}))
        print(final.message, file=sys.stderr)
        return final.exit_code
    assert final is not None
    if args.json:
        print(json.dumps(final.as_dict(), ensure_ascii=False))
    else:
        if not streamed and final.text:
            sys.stdout.write(final.text)
        sys.stdout.write("\n")
        extra = final.extra.get("saved_to")
        if extra:
            print(f"Saved to {extra}", file=sys.stderr)
    return EXIT_OK


def cmd_describe(args) -> int:
    from ..engine import Request

    opts = {k: v for k, v in {"detail": args.detail, "backend": args.backend}.items() if v}
    return run_request(Request("describe", image=args.path, options=opts), args)


def cmd_ask(args) -> int:
    from ..engine import Request

    opts = {"backend": args.backend} if args.backend else {}
    return run_request(Request("ask", image=args.path, text=args.question, options=opts), args)


def cmd_read(args) -> int:
    from ..engine import Request

    return run_request(Request("read_text", image=args.path), args)


# ---- models ---------------------------------------------------------------------------------
def _store():
    from ..models import ModelStore

    return ModelStore()


def cmd_models_list(args) -> int:
    store = _store()
    rows = []
    for preset in store.registry.all():
        rows.append(
            {
                "preset": preset.name,
                "task": preset.task,
                "source": preset.source,
                "repo": preset.repo or preset.package or preset.local_path,
                "size_mb": preset.size_mb,
                "licence": preset.licence,
                "installed": store.is_installed(preset.name),
                "description": preset.description,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    for r in rows:
        state = "installed" if r["installed"] else "not installed"
        print(f"{r['preset']:<18} {r['task']:<20} {r['size_mb']:>7.0f} MB  {r['source']:<9} {state:<14} {r['licence']}")
    return EXIT_OK


def cmd_models_pull(args) -> int:
    from ..errors import AssistantError

    store = _store()
    try:
        preset = store.registry.get(args.preset)
        print(f"Downloading {preset.name} ({preset.repo}, about {preset.size_mb:.0f} MB)…", file=sys.stderr)
        path = store.pull(args.preset)
    except AssistantError as exc:
        print(exc.message, file=sys.stderr)
        return exc.exit_code
    print(f"{args.preset} is ready in {path}")
    return EXIT_OK


def cmd_models_verify(args) -> int:
    from ..errors import AssistantError

    store = _store()
    try:
        names = [args.preset] if args.preset else [p.name for p in store.registry.all() if store.is_installed(p.name)]
        reports = [store.verify(n) for n in names]
    except AssistantError as exc:
        print(exc.message, file=sys.stderr)
        return exc.exit_code
    if args.json:
        print(json.dumps([r.as_dict() for r in reports], indent=2))
    else:
        for r in reports:
            status = "OK" if r.ok else "PROBLEM"
            print(f"{r.preset}: {status} ({r.files} files, {r.checked_hashes} checksums)")
            for problem in r.problems:
                print(f"  - {problem}")
    return EXIT_OK if all(r.ok for r in reports) else EXIT_UNAVAILABLE


def cmd_models_remove(args) -> int:
    from ..errors import AssistantError

    try:
        freed = _store().remove(args.preset)
    except AssistantError as exc:
        print(exc.message, file=sys.stderr)
        return exc.exit_code
    print(f"Removed {args.preset} ({freed / 1e6:.0f} MB freed).")
    return EXIT_OK


def cmd_models_add_local(args) -> int:
    from ..errors import AssistantError

    try:
        preset = _store().registry.add_local(args.name, args.path, args.task, licence=args.licence)
    except AssistantError as exc:
        print(exc.message, file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"Added local preset {preset.name} → {preset.local_path}")
    return EXIT_OK
