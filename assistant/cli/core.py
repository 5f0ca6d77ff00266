"""describe / ask / read / models sub-commands."""

from __future__ import annotations

import sys
from typing import Any

from ..errors import EXIT_BAD_INPUT, EXIT_OK, EXIT_UNAVAILABLE, AssistantError
from ..events import ErrorEvent, Progress, Request, Result, TextChunk, options_for
from ..safety import trusted
from .output import err, gated, out, out_json

BACKENDS = ["auto", "embedded", "vlm", "remote"]
SPEAK_TIMEOUT = 300  # seconds the CLI waits for the last sentence to be spoken


def add_backend_options(p) -> None:
    p.add_argument("--backend", choices=BACKENDS, default=None, help="which model answers (remote: a model server)")
    p.add_argument("--provider", default=None, help="with --backend remote: the server preset (see models providers)")
    p.add_argument("--model", default=None, help="with --backend remote: the server's model name")


def add_output_options(p, speak: bool = True) -> None:
    p.add_argument("--json", action="store_true", help="print one JSON object instead of streaming text")
    if speak:
        p.add_argument(
            "--speak",
            action="store_true",
            help="also speak the answer as it is generated, where the settings say (screen reader or own voice)",
        )
        p.add_argument(
            "--speak-with",
            choices=["auto", "screen-reader", "voice", "both"],
            default=None,
            help="speak through this output for this command only (implies --speak)",
        )


def register(sub) -> None:
    p = sub.add_parser("describe", help="describe an image")
    p.add_argument("path")
    p.add_argument("--detail", choices=["quick", "full"], default=None)
    add_backend_options(p)
    add_output_options(p)
    p.set_defaults(func=cmd_describe)

    p = sub.add_parser("ask", help="ask a question about an image")
    p.add_argument("path")
    p.add_argument("question")
    add_backend_options(p)
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
    q = msub.add_parser("providers", help="list the model servers you can use with --backend remote")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_models_providers)
    q = msub.add_parser("test", help="connect to a model server: its models, whether one takes pictures, latency")
    q.add_argument("provider")
    q.add_argument("--model", default=None)
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_models_test)
    q = msub.add_parser("key", help="store a model server's API key in the system keyring (asked, never typed inline)")
    q.add_argument("provider")
    q.add_argument("--delete", action="store_true", help="remove the stored key")
    q.set_defaults(func=cmd_models_key)
    p.set_defaults(func=lambda args: (p.print_help(), EXIT_OK)[1])


# ---- running requests ------------------------------------------------------------------------
def make_engine(args=None):
    """The engine a command runs on (tests replace this to inject backends)."""
    from ..engine import Engine

    return Engine()


def run_request(request: Request, args) -> int:
    """Run one request, stream or print JSON, speak if asked; return the exit code."""
    engine = make_engine(args)
    speaking = getattr(args, "speak", False) or getattr(args, "speak_with", None)
    speaker = _speaker(engine, getattr(args, "speak_with", None)) if speaking else None
    if speaker is not None:
        speaker.begin()
    final: Result | ErrorEvent | None = None
    streamed = False
    interactive = sys.stderr.isatty()
    for event in engine.run(request):
        if speaker is not None:
            speaker.speak_event(event)
        if isinstance(event, Progress) and interactive and not args.json:
            err(event.message)
        elif isinstance(event, TextChunk) and not args.json:
            out(event.text, end="")
            streamed = True
        elif isinstance(event, (Result, ErrorEvent)):
            final = event
    if speaker is not None:
        speaker.wait(SPEAK_TIMEOUT)
        speaker.close()
    if isinstance(final, ErrorEvent):
        if args.json:
            out_json({"error": {"kind": final.kind, "message": final.message}})
        err(final.message)
        return final.exit_code
    assert final is not None
    if args.json:
        out_json(final.as_dict())
        return EXIT_OK
    out(final.text if not streamed else trusted(""))
    if final.extra.get("saved_to"):
        err(gated(f"Saved to {final.extra['saved_to']}"))
    return EXIT_OK


def _speaker(engine, mode: str | None):
    """The speech outputs the settings choose (--speak-with overrides), sentence by sentence."""
    from ..speech.output import speaker_for

    return speaker_for(engine.settings, notice=lambda text: err(gated(text)), mode=mode)


def cmd_describe(args) -> int:
    if (refused := _remote_consent(args)) is not None:
        return refused
    options = options_for(
        "describe", detail=args.detail, backend=args.backend, provider=args.provider, model=args.model
    )
    return run_request(Request("describe", image=args.path, options=options), args)


def cmd_ask(args) -> int:
    if (refused := _remote_consent(args)) is not None:
        return refused
    options = options_for("ask", backend=args.backend, provider=args.provider, model=args.model)
    return run_request(Request("ask", image=args.path, text=args.question, options=options), args)


def _remote_consent(args) -> int | None:
    """Before a picture goes to a model server that is not local, ask once (on a terminal) and
    remember the answer; without a terminal, say why nothing was sent (exit 3)."""
    from ..config import Settings

    settings = Settings.load()
    if (args.backend or settings.models.backend) != "remote":
        return None
    from ..remote import ConsentStore, consent_question, get_provider, needs_consent

    try:
        provider = get_provider(args.provider, settings.remote, args.model)
    except AssistantError as exc:
        return _failed(exc)
    if not needs_consent(provider, settings.remote):
        return None
    question = gated(consent_question(provider))
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        err(question)
        err(trusted("Nothing was sent. Run the command in a terminal to answer, or use a local model."))
        return EXIT_UNAVAILABLE
    sys.stderr.write(question + " [y/N] ")
    sys.stderr.flush()
    allowed = sys.stdin.readline().strip().lower() in ("y", "yes")
    ConsentStore().record(provider, allowed)
    if not allowed:
        err(trusted("Nothing was sent."))
        return EXIT_UNAVAILABLE
    return None


def cmd_read(args) -> int:
    return run_request(Request("read_text", image=args.path), args)


# ---- models ---------------------------------------------------------------------------------
def _store():
    from ..models import ModelStore

    return ModelStore()


def _failed(exc: AssistantError) -> int:
    err(gated(exc.message))
    return exc.exit_code


def cmd_models_list(args) -> int:
    store = _store()
    rows: list[dict[str, Any]] = []
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
        out_json(rows, indent=2)
        return EXIT_OK
    for r in rows:
        state = "installed" if r["installed"] else "not installed"
        out(
            gated(
                f"{r['preset']:<18} {r['task']:<20} {r['size_mb']:>7.0f} MB  {r['source']:<9} {state:<14} "
                f"{r['licence']}"
            )
        )
    return EXIT_OK


def cmd_models_pull(args) -> int:
    store = _store()
    try:
        preset = store.registry.get(args.preset)
        err(gated(f"Downloading {preset.name} ({preset.repo}, about {preset.size_mb:.0f} MB)…"))
        path = store.pull(args.preset)
    except AssistantError as exc:
        return _failed(exc)
    out(gated(f"{args.preset} is ready in {path}"))
    return EXIT_OK


def cmd_models_verify(args) -> int:
    store = _store()
    try:
        names = [args.preset] if args.preset else [p.name for p in store.registry.all() if store.is_installed(p.name)]
        reports = [store.verify(n) for n in names]
    except AssistantError as exc:
        return _failed(exc)
    if args.json:
        out_json([r.as_dict() for r in reports], indent=2)
    else:
        for r in reports:
            status = "OK" if r.ok else "PROBLEM"
            out(gated(f"{r.preset}: {status} ({r.files} files, {r.checked_hashes} checksums)"))
            for problem in r.problems:
                out(gated(f"  - {problem}"))
    return EXIT_OK if all(r.ok for r in reports) else EXIT_UNAVAILABLE


def cmd_models_remove(args) -> int:
    try:
        freed = _store().remove(args.preset)
    except AssistantError as exc:
        return _failed(exc)
    out(gated(f"Removed {args.preset} ({freed / 1e6:.0f} MB freed)."))
    return EXIT_OK


def cmd_models_providers(args) -> int:
    from ..config import Settings
    from ..remote import ConsentStore, is_trusted_local, key_source, list_providers

    settings = Settings.load()
    store = ConsentStore()
    rows = [
        {
            "provider": p.name,
            "label": p.label,
            "base_url": p.base_url,
            "model": p.model or "(the server's first)",
            "local": p.local,
            "trusted_local": is_trusted_local(p, settings.remote),
            "key": key_source(p),
            "consent": store.state(p),
        }
        for p in list_providers(settings.remote)
    ]
    if args.json:
        out_json(rows, indent=2)
        return EXIT_OK
    for r in rows:
        where = "local" if r["local"] or r["trusted_local"] else "sends pictures away"
        line = f"{r['provider']:<10} {r['label']:<34} {r['base_url']:<42} {r['model']:<24} {where}"
        out(gated(f"{line}; key: {r['key']}"))
    return EXIT_OK


def cmd_models_test(args) -> int:
    from ..config import Settings
    from ..remote import get_provider, test_connection

    try:
        report = test_connection(get_provider(args.provider, Settings.load().remote, args.model))
    except AssistantError as exc:
        return _failed(exc)
    if args.json:
        out_json(report.as_dict(), indent=2)
    else:
        for sentence in report.sentences():
            out(gated(sentence))  # model names come from the server
    return EXIT_OK if report.ok else EXIT_UNAVAILABLE


def cmd_models_key(args) -> int:
    import getpass

    from ..remote import delete_api_key, set_api_key

    try:
        if args.delete:
            removed = delete_api_key(args.provider)
            out(
                gated(f"The key for {args.provider} was removed.")
                if removed
                else trusted("There was no key to remove.")
            )
            return EXIT_OK
        key = getpass.getpass(gated(f"API key for {args.provider} (not shown): "))
        if not key.strip():
            err(trusted("No key was given, so nothing was stored."))
            return EXIT_BAD_INPUT
        set_api_key(args.provider, key.strip())
    except AssistantError as exc:
        return _failed(exc)
    out(gated(f"The key for {args.provider} is in the system keyring."))
    return EXIT_OK


def cmd_models_add_local(args) -> int:
    try:
        preset = _store().registry.add_local(args.name, args.path, args.task, licence=args.licence)
    except AssistantError as exc:
        _failed(exc)
        return EXIT_BAD_INPUT
    out(gated(f"Added local preset {preset.name} → {preset.local_path}"))
    return EXIT_OK
