"""`python -m tinygan ...` is the `tinygan` command."""

import sys

from tinygan.app.cli import main

sys.exit(main())
