"""Query strings read into one Pydantic model, and ids read from the path, for the hottest read
routes.

FastAPI validates each declared query parameter on its own and re-inspects its annotation on every
request: some 15-20 µs per parameter, so the recipe list's fourteen filters cost more than its
database query. A route that instead declares ``openapi_extra=QUERY.openapi`` and calls
``QUERY.parse(request)`` gets one model validation, the same 422 problem naming the field, and
the same parameters in its OpenAPI document.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar, get_origin

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from recipevault.http.schemas import ID_ADAPTER, document_input

Model = TypeVar("Model", bound=BaseModel)


class QueryString(Generic[Model]):
    """Parses a request's query string into ``model``; unknown parameters are ignored."""

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self._names = tuple(model.model_fields)
        self._repeated = frozenset(
            name for name, field in model.model_fields.items() if _is_list(field.annotation)
        )
        self._empty: Model | None = None
        self.openapi: dict[str, Any] = {"parameters": openapi_parameters(model)}

    def parse(self, request: Request) -> Model:
        if not request.scope["query_string"]:
            if self._empty is None:
                self._empty = self.model()
            return self._empty
        params = request.query_params
        raw = {
            name: params.getlist(name) if name in self._repeated else params[name]
            for name in self._names
            if name in params
        }
        try:
            return self.model.model_validate(raw)
        except ValidationError as exc:
            raise _invalid("query", exc) from None


def path_id(request: Request, name: str) -> int:
    """The id in path parameter ``name`` of a route that reads its own parameters, checked as
    a declared ``Id`` would be (the same 422 naming it)."""
    try:
        return ID_ADAPTER.validate_python(request.path_params[name])
    except ValidationError as exc:
        raise _invalid("path", exc, name) from None


def path_id_parameter(name: str) -> dict[str, Any]:
    """The OpenAPI parameter object of an id that ``path_id`` reads."""
    return {"name": name, "in": "path", "required": True, "schema": ID_ADAPTER.json_schema()}


def _invalid(where: str, exc: ValidationError, *names: str) -> RequestValidationError:
    """FastAPI's own 422 for ``exc``, located in ``where`` (and the parameter ``names``)."""
    return RequestValidationError(
        [
            {**error, "loc": (where, *names, *error["loc"])}
            for error in exc.errors(include_url=False, include_context=False)
        ]
    )


def _is_list(annotation: Any) -> bool:
    return get_origin(annotation) in (list, tuple)


def openapi_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """OpenAPI 3.1 query parameter objects for the fields of ``model``."""
    schema = model.model_json_schema()
    document_input(schema, trimmed=False)
    definitions = schema.get("$defs", {})
    required = set(schema.get("required", ()))
    parameters = []
    for name, field_schema in schema["properties"].items():
        field_schema = _inline(field_schema, definitions)
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": field_schema,
        }
        if "description" in field_schema:
            parameter["description"] = field_schema["description"]
        if field_schema.get("type") == "array":
            parameter |= {"style": "form", "explode": True}
        parameters.append(parameter)
    return parameters


def _inline(node: Any, definitions: dict[str, Any]) -> Any:
    # Parameters cannot point into the model's own $defs, so enums and the like are copied in.
    if isinstance(node, dict):
        reference = node.get("$ref")
        if isinstance(reference, str) and reference.startswith("#/$defs/"):
            return _inline(definitions[reference.removeprefix("#/$defs/")], definitions)
        return {key: _inline(value, definitions) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item, definitions) for item in node]
    return node
