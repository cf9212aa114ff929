"""``python -m pyetcd.ctl``: the same as the ``pyetcdctl`` command."""

import sys

from pyetcd.ctl.cli import main

sys.exit(main())
