"""Command line: `screen-assistant SUB-COMMAND ...` (or `python main.py SUB-COMMAND`).

Each module in COMMAND_MODULES adds its sub-commands with register(subparsers); handlers
return the process exit code. Everything printed goes through `output.out` / `output.err`,
which accept only gated text (SafeText).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from ..errors import EXIT_BAD_INPUT, EXIT_OK, EXIT_UNAVAILABLE

__all__ = ["EXIT_BAD_INPUT", "EXIT_OK", "EXIT_UNAVAILABLE", "build_parser", "main"]

COMMAND_MODULES = [
    "assistant.cli.core",  # describe, ask, read, models
    "assistant.cli.voice",  # say, transcribe, route, listen
    "assistant.cli.imaging",  # edit, generate
    "assistant.cli.app",  # trigger (talks to the running desktop app)
]


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's usage errors are bad input: exit 2 with a sentence
        self.print_usage(sys.stderr)
        print(f"Error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="screen-assistant", description="A local assistant that describes pictures and the screen aloud."
    )
    parser.add_argument("--verbose", action="store_true", help="also print the log (debug details) on stderr")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from ..logs import setup_logging
    from ..platforms import ensure_utf8_stdio

    ensure_utf8_stdio()  # no command fails on a character in a cp1252 pipe (Windows)
    argv = sys.argv[1:] if argv is None else list(argv)
    if len(argv) == 2 and argv[0] == "trigger" and not argv[1].startswith("-"):
        # A desktop shortcut waits for this one: send the action without importing every
        # command module to build the parser (what the parser would do with these two words).
        from .app import cmd_trigger

        setup_logging()
        return cmd_trigger(argparse.Namespace(action=argv[1]))
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(verbose=args.verbose)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_OK
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("\nCancelled.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and closed early: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
