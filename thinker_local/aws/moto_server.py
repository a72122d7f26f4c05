"""moto's server for the local stack: ``python -m thinker_local.aws.moto_server [--service-caller
ARN=SERVICE ...] [--allow-host NAME ...] -p PORT``.

werkzeug logs every request at INFO; at the load a benchmark sends, writing those lines was a
sixth of the DynamoDB process's CPU time. Errors are still logged. moto also lists its own package
directory (a ``listdir`` and a ``stat`` per entry) on every request to route it; the list is read
once here (moto's CPU per seed request under load fell from 4.6 to 3.5 ms). Before it serves, the
additions of :mod:`thinker_local.aws.moto_access` are installed (each ``--service-caller`` names the
caller a service principal stands for), so that once the stack turns IAM on, DynamoDB and STS
check callers as AWS does, and take the temporary credentials STS gives people
(:mod:`thinker_local.aws.sessions`). It answers no web page, and only loopback names and each
``--allow-host`` (:mod:`thinker_local.aws.moto_guard`).
"""

import argparse
import logging
import sys

from moto import backends
from moto.server import main

from thinker_local.aws import moto_guard, sessions
from thinker_local.aws.moto_access import install


def route_from_one_listing() -> None:
    """Have moto route every request from one listing of its services' packages."""
    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules


if __name__ == "__main__":
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--service-caller", action="append", default=[])
    parser.add_argument("--allow-host", action="append", default=[])
    ours, moto_arguments = parser.parse_known_args(sys.argv[1:])
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    route_from_one_listing()
    install(dict(pair.rsplit("=", 1) for pair in ours.service_caller))
    sessions.install()
    moto_guard.install(ours.allow_host)
    main(moto_arguments)
