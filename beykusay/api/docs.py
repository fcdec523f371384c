"""What the OpenAPI schema says about errors and event streams, so clients can rely on it."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter

from beykusay.schemas import MessageOut

Responses = dict[int | str, dict[str, Any]]


class ErrorOut(BaseModel):
    detail: str


def error(description: str) -> dict[str, Any]:
    return {"description": description, "model": ErrorOut}


def invalid(description: str) -> dict[str, Any]:
    """422 that is either FastAPI's validation error or a plain ``{"detail": str}``."""
    refs = [f"#/components/schemas/{name}" for name in ("HTTPValidationError", "ErrorOut")]
    schema = {"anyOf": [{"$ref": ref} for ref in refs]}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


AUTH: Responses = {401: error("Missing, invalid or expired token (`WWW-Authenticate: Bearer`)")}
BODY: Responses = {
    400: error("The body could not be read (not UTF-8 JSON)"),
    413: error("The body is larger than the server accepts"),
}
CHAT: Responses = {**AUTH, 404: error("No such chat (or it belongs to another user)")}


class StartEvent(BaseModel):
    type: Literal["start"]
    user_message: MessageOut
    assistant_message_id: int


class DeltaEvent(BaseModel):
    type: Literal["thinking", "text"]
    delta: str


class EndEvent(BaseModel):
    type: Literal["done", "error"]
    message: MessageOut


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    """Replace local ``$ref``s by their definitions: the schema sits deep in the document."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _inline(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
        return {key: _inline(value, defs) for key, value in schema.items() if key != "$defs"}
    if isinstance(schema, list):
        return [_inline(item, defs) for item in schema]
    return schema


def _event_schema() -> dict[str, Any]:
    schema = TypeAdapter(StartEvent | DeltaEvent | EndEvent).json_schema()
    return _inline(schema, schema.get("$defs", {}))


EVENT_STREAM: dict[str, Any] = {
    "description": "Server-Sent Events: one `data: <json>` line per event",
    "content": {
        "text/event-stream": {
            "schema": {
                "type": "object",
                "required": ["data"],
                "properties": {
                    "data": {
                        "type": "string",
                        "contentMediaType": "application/json",
                        "contentSchema": _event_schema(),
                    }
                },
            }
        }
    },
}
