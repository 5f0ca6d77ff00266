"""`python -m assistant`: the same as main.py, from any installed copy (main.py belongs to the
source checkout). No arguments: the desktop app; a sub-command: the command line.

`main` also suits a GUI entry point (gui_scripts), so `screen-assistant-gui trigger ACTION`
reaches the running app without a console window on Windows.
"""

from __future__ import annotations

import sys


def main() -> int:
    from assistant.platforms import ensure_utf8_stdio

    ensure_utf8_stdio()  # no command fails on a character in a cp1252 pipe (Windows)
    if len(sys.argv) > 1:
        from assistant.cli import main as cli_main

        return cli_main(sys.argv[1:])
    from ui.app import main as gui_main  # the desktop app (PySide6)

    return gui_main()


if __name__ == "__main__":
    sys.exit(main())
