"""The exceptions of cstvr's requests, one hierarchy for every front end.

:class:`CstvrError` is a request cstvr cannot serve: bad arguments, clips, files, weights or
options. Its message says what to change; front ends report it without a traceback (the CLI exits
with code 2). :class:`FfmpegError` is ffmpeg missing or failing on a file: its message carries
ffmpeg's own words (exit code 1). Any other exception is a fault of cstvr and is reported with
its traceback. The plugin hands the exception of a failed ``core.cstvr`` call back to Python
callers in the same process (:func:`vs_cstvr.dispatch.original_error`), so its type survives the
C bridge.
"""


class CstvrError(ValueError):
    """A request cstvr cannot serve; the message says what to change."""


class WeightsError(CstvrError):
    """A weights file is missing, unreadable, or does not fit its network."""


class OptionError(CstvrError):
    """A text option (of a script or the command line) that cannot become a filter argument."""


class UsageError(CstvrError):
    """Command-line arguments that cannot work together."""


class BenchmarkError(CstvrError):
    """A benchmark request that cannot run."""


class FfmpegError(RuntimeError):
    """ffmpeg is missing, cannot read a file, or failed; the message carries ffmpeg's own words."""


class PayloadLostWarning(UserWarning):
    """Transmitted frames that should carry a hidden payload (the hidden motion) no longer hold it:
    a lossy or 8-bit YUV encode lay between Downsample and Upsample, or the clip never went
    through Downsample. Upsample falls back to what it can do without it."""
