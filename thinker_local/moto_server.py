"""moto's server without a log line per request: ``python -m thinker_local.moto_server -p PORT``.

werkzeug logs every request at INFO; at the load a benchmark sends, writing those lines was a
sixth of the DynamoDB process's CPU time. Errors are still logged.
"""

import logging
import sys

from moto.server import main

if __name__ == "__main__":
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    main(sys.argv[1:])
