"""`trigger ACTION`: send an action to the running desktop app (bind this in your desktop's
own keyboard-shortcut settings where global hotkeys are not available)."""

from __future__ import annotations

import sys

from . import EXIT_BAD_INPUT, EXIT_OK, EXIT_UNAVAILABLE

_ACTIONS_HELP = (
    "describe_screen, describe_window, describe_region, read_text, ask, repeat, "
    "stop_speaking, open_app, or prompt_N for saved prompt N"
)


def register(sub) -> None:
    p = sub.add_parser(
        "trigger", help="send an action to the running desktop app", description=f"Actions: {_ACTIONS_HELP}."
    )
    p.add_argument("action", help=_ACTIONS_HELP)
    p.set_defaults(func=cmd_trigger)


def cmd_trigger(args) -> int:
    from assistant.gui.actions import is_valid  # Qt-free; Qt itself is imported only below

    action = args.action.strip().lower().replace("-", "_")
    if not is_valid(action):
        print(f"Unknown action '{args.action}'. Use one of: {_ACTIONS_HELP}.", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        from assistant.gui.trigger import ensure_core_app, send_action
    except ImportError:
        print("The desktop app is not installed (PySide6 is missing).", file=sys.stderr)
        return EXIT_UNAVAILABLE
    ensure_core_app()
    reply = send_action(action)
    if reply is None:
        print("The assistant app is not running. Start it with: python main.py", file=sys.stderr)
        return EXIT_UNAVAILABLE
    if reply != "ok":
        print(reply, file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK
