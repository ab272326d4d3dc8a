"""The one base class of cxroi's own errors, with the exit status the CLI gives each.

Every error cxroi raises on purpose derives from :class:`CxroiError`. Bad input
(:class:`~cxroi.model.scenario.ScenarioError`,
:class:`~cxroi.analysis.calibration.CalibrationError`, :class:`~cxroi.outputs.batch.BatchError`,
the CLI's own ``UsageError``) is :class:`InputError`, exit status 2, the Unix convention for a
command used wrongly. ``cxroi.cli.main`` maps them in one place: it
prints the message (never a traceback) and returns :attr:`CxroiError.exit_code`.

The input errors also derive from :class:`ValueError`, so code that caught ``ValueError``
before keeps working. This module imports nothing, so every layer may use it.

>>> issubclass(InputError, CxroiError) and issubclass(InputError, ValueError)
True
>>> InputError("discount_rate: must be >= -0.99 (got -2)").exit_code
2
"""

from __future__ import annotations

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "CxroiError", "InputError"]

#: Exit status of the ``cxroi`` command: success, ran but failed, bad input or usage.
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class CxroiError(Exception):
    """Base class of the errors cxroi raises on purpose.

    Attributes
    ----------
    exit_code : int
        Exit status of the ``cxroi`` command when this error ends it (1: the command ran
        but failed; subclasses for bad input use 2).
    """

    exit_code: int = EXIT_FAILED


class InputError(CxroiError, ValueError):
    """Bad input: a scenario, a data file or command-line arguments break a rule (exit 2)."""

    exit_code = EXIT_USAGE
