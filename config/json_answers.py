"""API errors and OPTIONS answers are JSON, whatever format or suffix was asked for.

`?format=csv`, a `.xlsx` suffix or `?format=api` choose the renderer of a successful answer
only. An error is the one error shape (config/exceptions.py) and an OPTIONS answer is the
view's metadata: a file renderer cannot write either (it was asked to, and answered 500), and
HTML is not what an API client can read. DRF answers are rendered after the view returns, so
this middleware swaps the renderer before Django renders them.
"""
from django.http import HttpRequest, HttpResponse
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

JSON = "application/json"


class JSONAnswersMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_template_response(self, request: HttpRequest, response: HttpResponse):
        if not isinstance(response, Response) or not request.path.startswith("/api/"):
            return response
        renderer = getattr(response, "accepted_renderer", None)
        must_be_json = response.status_code >= 400 or request.method == "OPTIONS"
        if must_be_json and renderer is not None and renderer.media_type != JSON:
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSON
            response.content_type = None  # set again from the JSON renderer
            response.headers.pop("Content-Disposition", None)
        return response
