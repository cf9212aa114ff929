"""The three PATCH bodies kube accepts: JSON patch, JSON merge patch, strategic merge patch."""

class PatchError(ValueError):
    """A patch that cannot be applied; ``bad_request`` when the patch itself is malformed."""

    def __init__(self, message: str, bad_request: bool = False):
        super().__init__(message)
        self.bad_request = bad_request
