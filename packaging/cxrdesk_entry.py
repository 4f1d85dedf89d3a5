"""Entry point of the packaged application (PyInstaller): the same `cxrdesk` command."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # training runs in spawned worker processes
    from cxrdesk.cli import main

    sys.exit(main())
