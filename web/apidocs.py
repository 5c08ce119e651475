"""GET /api/docs: the OpenAPI document in Swagger UI, served from the installed swagger-ui-bundle-v2."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from swagger_ui_bundle import swagger_ui_path

# swagger-ui-bundle-v2 (Swagger UI 5): swagger-ui-bundle's Swagger UI 4 cannot read OpenAPI 3.1.
bp = Blueprint("apidocs", __name__, static_folder=str(swagger_ui_path), static_url_path="/api/docs/static")


@bp.get("/api/docs")
def page() -> ResponseReturnValue:
    return render_template("api_docs.html")
