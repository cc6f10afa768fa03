"""Plugin entry point: the python language host runs ``<venv python> <this dir> <engine address> [flags]``.

The gRPC server prints the port it listens on to stdout (the engine reads it) and
then serves until the engine goes away.
"""

from __future__ import annotations

import os
import sys

_PLUGIN_DIR = os.path.dirname(os.path.abspath(__file__))
_REPO_ROOT = os.path.dirname(os.path.dirname(_PLUGIN_DIR))

# Running a directory puts it first on sys.path, where our provider.py, errors.py...
# would shadow same-named top-level modules. Import them only as ``infra.provider.*``.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _PLUGIN_DIR]
try:
    import infra.provider  # noqa: F401  (normally pip-installed, editable, in the venv)
except ImportError:  # a checkout whose package is not installed: use the repo itself
    sys.path.insert(0, _REPO_ROOT)


def main() -> None:
    """Serve the egov provider; ``server.main`` parses the engine address from sys.argv."""
    from pulumi.provider.experimental.server import main as serve

    from infra.provider import VERSION
    from infra.provider.provider import EgovProvider

    serve(sys.argv[1:], VERSION, EgovProvider())


if __name__ == "__main__":
    main()
