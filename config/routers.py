"""API routing shared by the apps."""
from rest_framework.routers import SimpleRouter


class OptionalSlashRouter(SimpleRouter):
    """Routes that answer with or without a trailing slash (`/api/v1/runs/7` and `.../7/`).

    Tools build URLs both ways; a redirect would turn a POST into a GET in some clients.
    """

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"
