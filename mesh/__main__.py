"""Command line: ``python -m mesh render|check|docs``.

``render`` and ``check`` run the stack's real program offline, under Pulumi's mock
runtime, with the config the CLI would feed it. No cluster, no Pulumi CLI.
"""

import sys

from mesh.cli import main
from mesh.process import tune_collector

if __name__ == "__main__":
    tune_collector()
    sys.exit(main())
