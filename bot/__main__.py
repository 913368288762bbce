"""`python -m bot` runs the hedgebot command line."""

import sys

from bot.cli.main import main

sys.exit(main())
