"""Models on offer and the server's health."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from beykusay.api.deps import StateDep
from beykusay.catalog import DEFAULT_MODEL, MODELS
from beykusay.db import new_session
from beykusay.schemas import Health, ModelOut, ModelsOut

router = APIRouter(tags=["meta"])


@router.get("/models", response_model=ModelsOut)
def list_models(state: StateDep) -> ModelsOut:
    provider = state.provider.name
    return ModelsOut(
        models=[
            ModelOut(
                id=info.id,
                label=info.label + (" (demo)" if provider == "demo" else ""),
                description=info.description,
                thinking=info.thinking,
                provider=provider,
            )
            for info in MODELS.values()
        ],
        default=DEFAULT_MODEL,
    )


def _database_ok() -> bool:
    try:
        with new_session() as session:
            session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        return True
    except Exception:
        return False


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
async def health(state: StateDep) -> JSONResponse:
    database_ok = await asyncio.to_thread(_database_ok)
    body = Health(
        status="ok" if database_ok else "degraded",
        database="ok" if database_ok else "error",
        provider=state.provider.name,
    )
    return JSONResponse(body.model_dump(), status_code=200 if database_ok else 503)
