"""Checking a JSON body against what the app's OpenAPI document says a route returns."""

from __future__ import annotations

from typing import Any

import jsonschema
from fastapi import FastAPI


def valid(app: FastAPI, schema: str, body: Any) -> Any:
    """`body`, once checked against the component `schema` of `app`'s /openapi.json
    (extra fields refused where the model refuses them), so that /docs cannot drift from
    what is sent."""
    document = app.openapi()
    jsonschema.validate(body, {"$ref": f"#/components/schemas/{schema}", **document})
    return body
