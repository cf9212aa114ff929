import sys

from pyflannel.cli import main

sys.exit(main())
