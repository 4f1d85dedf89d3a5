"""The one exception family the CLI and the GUI turn into a one-line message."""


class CxrdeskError(Exception):
    """A problem the user can act on: the message names it; no traceback is shown."""


class ImageReadError(CxrdeskError):
    """A file that cannot be read as a radiograph (corrupt, unsupported, too large...)."""


class CurationError(CxrdeskError):
    """A source folder or curation setting that cannot give a dataset."""
