"""Exceptions the engine raises for problems a user can fix (bad files, bad settings, no network)."""


class KMeansLabError(Exception):
    """Base class: every problem the user can act on. Its message says what was wrong and what to do."""


class DataFileError(KMeansLabError, ValueError):
    """A data file (IDX, npz) is missing, unreadable or malformed. The message names the file."""


class DatasetUnavailableError(KMeansLabError):
    """A dataset cannot be loaded here, e.g. it must be downloaded and there is no network."""


class UnknownDatasetError(KMeansLabError, ValueError):
    """A dataset name that the engine does not know."""
