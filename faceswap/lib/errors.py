"""The one exception type users see: its message says what is wrong and what to do."""


class FaceswapError(Exception):
    """A problem with the user's input or environment, reported without a traceback.

    The CLI prints the message and exits with status 1. Code raising it guarantees no user file
    was changed.
    """
