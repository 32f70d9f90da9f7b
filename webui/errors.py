"""Friendly error pages for people and JSON errors for programs; never a traceback."""

from __future__ import annotations

from flask import Flask, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from library.errors import IndexUnavailableError

from .params import BadParameter
from .templating import retry_url

TITLES = {
    400: "That request could not be understood",
    404: "Page not found",
    405: "That method is not allowed here",
    413: "That request is too large",
    500: "Something went wrong on our side",
    503: "The library is not ready yet",
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def error_response(status: int, message: str, parameter: str | None = None):
    if wants_json():
        error: dict[str, object] = {"status": status, "message": message}
        if parameter:
            error["parameter"] = parameter
        return jsonify(error=error), status
    title = TITLES.get(status, "Something went wrong")
    retry = retry_url(parameter) if parameter and status == 400 else ""
    page = render_template(
        "error.html", status=status, title=title, message=message, parameter=parameter, retry_url=retry
    )
    return page, status


def init_app(app: Flask) -> None:
    @app.errorhandler(BadParameter)
    def bad_parameter(exc: BadParameter):
        return error_response(400, exc.message, exc.name)

    @app.errorhandler(IndexUnavailableError)
    def index_unavailable(exc: IndexUnavailableError):
        app.logger.error("index unavailable: %s", exc)
        return error_response(
            503, "The library's index has not been built yet, or cannot be opened. Please try again shortly."
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        messages = {
            404: "There is nothing at this address. It may have moved, or the link may be mistyped.",
            500: "The page could not be produced. The problem has been logged.",
        }
        response = make_response(error_response(status, messages.get(status, exc.description or "")))
        for name, value in exc.get_headers():
            if name.lower() != "content-type":  # such as Allow on a 405
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        app.logger.exception("unhandled error on %s", request.path)
        return http_error(InternalServerError())
