import sys

from thinker_local.cli import main

sys.exit(main())
