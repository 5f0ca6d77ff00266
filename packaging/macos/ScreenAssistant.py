"""py2app's start script: the same entry as `python -m assistant` (no arguments: the app;
`trigger ACTION` and every other sub-command: the command line)."""

import sys

from assistant.__main__ import main

sys.exit(main())
