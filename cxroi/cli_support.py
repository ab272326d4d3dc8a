"""What the ``cxroi`` commands share: the usage error, JSON output and loading with warnings.

Both :mod:`cxroi.cli` and :mod:`cxroi.cli_decisions` import this module, so neither has to
import the other back.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from cxroi.errors import InputError

__all__ = ["UsageError"]


class UsageError(InputError):
    """Bad arguments or input: reported on stderr with exit status 2."""


def _dumps(obj: Any) -> str:
    return json.dumps(obj, indent=2, allow_nan=False)


def _load_and_warn(path: str):
    """Load a scenario and print each plausibility warning on stderr.

    Returns the scenario and the warnings as JSON records (``path``, ``value``, ``message``,
    ``suggested``). A warning never changes the exit status: the case still runs.
    """
    from cxroi.model.plausibility import plausibility_warnings
    from cxroi.model.scenario import load_scenario

    sc = load_scenario(path)
    warnings = [w.to_json() for w in plausibility_warnings(sc)]
    for w in warnings:
        print(f"cxroi: warning: {w['message']}", file=sys.stderr)
    return sc, warnings
