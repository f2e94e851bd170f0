"""Operations endpoints: ``/healthz``, ``/readyz``, ``/metrics``."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from .deps import IsAdminDep, ManagerDep, MetricsDep, StateDep
from .schemas import ErrorResponse, HealthOut, ReadyOut, status_out


def build_ops_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", response_model=HealthOut, summary="Liveness")
    async def healthz() -> HealthOut:
        """The process is up (does not look at the index).  ``HEAD /healthz`` answers too."""
        return HealthOut(status="ok")

    @router.head("/healthz", include_in_schema=False)
    async def healthz_head() -> Response:
        return Response(status_code=200, media_type="application/json")

    @router.get("/readyz", response_model=ReadyOut, summary="Readiness", openapi_extra={"security": [{}]},
                responses={503: {"model": ReadyOut, "description": "No index loaded yet."},
                           429: {"model": ErrorResponse, "description": "Too many wrong admin keys."}})
    async def readyz(manager: ManagerDep, admin: IsAdminDep, state: StateDep) -> JSONResponse:
        """200 once an index is loaded (also while a rebuild runs: the old index answers), else 503.
        ``index`` is the public view of ``/api/index/status`` (details with a valid `X-API-Key`);
        ``shared_state`` whether Redis answers (when configured)."""
        status = manager.status()
        ping = getattr(state.store, "ping", None)
        shared = "memory" if ping is None else ("ok" if await run_in_threadpool(ping) else "unavailable")
        body = ReadyOut(status="ready" if status.ready else "loading", documents=status.documents,
                        chunks=status.chunks, index=status_out(status, detail=admin), shared_state=shared)
        return JSONResponse(body.model_dump(mode="json"), status_code=200 if status.ready else 503)

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response,
                responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                                 "description": "Prometheus text exposition format."}})
    async def metrics(m: MetricsDep) -> Response:
        return Response(m.render(), media_type=m.content_type)

    return router
