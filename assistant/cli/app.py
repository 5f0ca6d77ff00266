"""`trigger ACTION`: send an action to the running desktop app (bind this in your desktop's
own keyboard-shortcut settings where global hotkeys are not available)."""

from __future__ import annotations

from .. import commands
from ..errors import EXIT_BAD_INPUT, EXIT_OK, EXIT_UNAVAILABLE

# The success path imports only the channel (assistant/cli/__init__.py calls cmd_trigger without
# building the whole parser): a desktop shortcut waits for this command. The text gate (events,
# PIL, the word table) is imported only to print a sentence.


def register(sub) -> None:
    import argparse

    p = sub.add_parser(
        "trigger",
        help="send an action to the running desktop app",
        description="Actions:\n" + commands.trigger_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("action", help="one of the actions listed above, e.g. describe_screen")
    p.set_defaults(func=cmd_trigger)


def cmd_trigger(args) -> int:
    action = args.action.strip().lower().replace("-", "_")
    if not commands.is_trigger(action):
        from .output import err, gated

        names = ", ".join(commands.trigger_names())
        err(gated(f"Unknown action '{args.action}'. Use one of: {names}, or prompt_N for saved prompt N."))
        return EXIT_BAD_INPUT
    from ..trigger_client import deliver

    delivery = deliver(action)
    reply = delivery.reply
    if reply is None:
        from ..safety import trusted
        from .output import err, gated

        if delivery.problem:
            err(gated(delivery.problem))
        err(trusted("The assistant app is not running. Start it with: screen-assistant-gui"))
        return EXIT_UNAVAILABLE
    if reply != "ok":
        from .output import err, gated

        err(gated(reply))
        return EXIT_BAD_INPUT
    return EXIT_OK
