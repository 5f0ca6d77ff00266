"""Command line: `python main.py SUB-COMMAND ...`. Each module in COMMAND_MODULES adds its
sub-commands with register(subparsers); handlers return the process exit code."""

from __future__ import annotations

import argparse
import importlib
import sys

# Exit codes shared by every command.
EXIT_OK, EXIT_BAD_INPUT, EXIT_UNAVAILABLE = 0, 2, 3

COMMAND_MODULES = [
    "assistant.cli.core",  # describe, ask, read, models
    "assistant.cli.voice",  # say, transcribe, route
    "assistant.cli.imaging",  # edit, generate
    "assistant.cli.app",  # trigger (talks to the running desktop app)
]


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's usage errors are bad input: exit 2 with a sentence
        self.print_usage(sys.stderr)
        print(f"Error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="main.py", description="A local assistant that describes pictures and the screen aloud.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # that group of commands is not built yet
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_OK
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("\nCancelled.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and closed early: not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
