"""The one exception type users see: a message that names the file, what was expected and what was found."""


class SadvaeError(Exception):
    """Any failure caused by the user's input or environment (bad file, bad flag, bad config)."""


class PackError(SadvaeError):
    """A feature pack that does not follow the data contract."""

    def __init__(self, path, expected: str, found: str):
        self.path = str(path)
        self.expected = expected
        self.found = found
        super().__init__(f"{self.path}: expected {expected}, found {found}")
