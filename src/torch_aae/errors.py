"""Exceptions raised for bad input. The CLI prints their message and exits non-zero."""


class AAEError(Exception):
    """Base class: a problem the user can fix; the message says what is wrong and what to do."""


class ConfigError(AAEError):
    """An unknown key, a bad value or a malformed config file."""


class DataError(AAEError):
    """A missing, truncated or damaged data file, or unusable user data."""


class CheckpointError(AAEError):
    """A run directory or checkpoint that cannot be written or read."""


class NonFiniteError(AAEError):
    """A loss or weight became NaN or infinite during training."""


class TrainingInterrupted(AAEError):
    """Training was stopped by SIGINT/SIGTERM after saving a checkpoint."""
