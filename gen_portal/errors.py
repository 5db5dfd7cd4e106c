"""The one domain error type services raise for expected failures."""


class DomainError(Exception):
    """An expected refusal (late submission, wrong state, ...) with a message for the user.

    `message` is already translated (lazy or not) and safe to show as is; `code` lets tests
    and callers tell refusals apart without parsing text.
    """

    def __init__(self, message, *, code: str = "invalid"):
        super().__init__(str(message))
        self.message = message
        self.code = code
