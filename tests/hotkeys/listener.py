"""A hotkey client for the X11 test, run as an ordinary user: registers the combos given as
JSON on the command line, prints one JSON line with the outcome, then one line per action that
fires; "unregister" on stdin releases the grabs (answered with one line), end of stdin quits.

    python -m tests.hotkeys.listener '{"describe_screen": "ctrl+alt+shift+d"}'
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> int:
    from assistant.hotkeys import HotkeyManager

    def say(**fields) -> None:
        print(json.dumps(fields), flush=True)

    manager = HotkeyManager(lambda action: say(action=action), labels={"describe_screen": "Describe the screen"})
    ok = manager.register(json.loads(sys.argv[1]))
    say(registered=ok, message=manager.message, backend=manager.backend_name, uid=os.getuid())
    for line in sys.stdin:
        if line.strip() == "unregister":
            manager.unregister()
            say(unregistered=True)
    manager.unregister()
    return 0


if __name__ == "__main__":
    sys.exit(main())
