"""``python -m cxroi``: the ``cxroi`` command (:func:`cxroi.cli.main`)."""

import sys

from cxroi.cli import main

sys.exit(main())
