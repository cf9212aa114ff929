import sys

from pyetcd.cli import main

sys.exit(main())
