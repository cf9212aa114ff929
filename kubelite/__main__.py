"""``python -m kubelite ...`` is the ``kubelite`` command."""

import sys

from kubelite.cli import main

sys.exit(main())
