"""Screen assistant. No arguments: start the desktop app. A sub-command: the command line.

python main.py                 start the app (GUI)
python main.py describe FILE   describe a picture aloud or in the terminal
python main.py --help          every command
"""

import sys


def _run() -> int:
    if len(sys.argv) > 1:
        from assistant.cli import main as cli_main

        return cli_main(sys.argv[1:])
    from assistant.gui.app import main as gui_main  # the desktop app (PySide6)

    return gui_main()


if __name__ == "__main__":
    sys.exit(_run())
