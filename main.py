"""Screen assistant, from a source checkout. No arguments: start the desktop app. A sub-command:
the command line. An installed copy has the same as `screen-assistant` / `screen-assistant-gui`.

    python main.py                 start the app (GUI)
    python main.py describe FILE   describe a picture aloud or in the terminal
    python main.py --help          every command
"""

import sys

from assistant.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
