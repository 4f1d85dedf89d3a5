"""The one exception family the CLI and the GUI turn into a one-line message."""


class CxrdeskError(Exception):
    """A problem the user can act on: the message names it; no traceback is shown."""


class ImageReadError(CxrdeskError):
    """A file that cannot be read as a radiograph (corrupt, unsupported, too large...): the message is the path
    and ``reason``, an English :class:`~cxrdesk.reasons.Reason` whose code and figures let a window word it in
    its own language."""

    def __init__(self, path, reason):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = str(path), reason

    def __reduce__(self):  # crosses processes (a scan's workers) with its reason
        return type(self), (self.path, self.reason)


class CurationError(CxrdeskError):
    """A source folder or curation setting that cannot give a dataset."""
