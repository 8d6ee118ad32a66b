"""The REST API under /api/v1/ (OpenAPI at /api/v1/openapi.json)."""

from ninja import NinjaAPI

from qoldau.accounts.api_auth import api_auth
from qoldau.appeals.api import router as appeals_router
from qoldau.core.api_errors import install_error_handlers
from qoldau.knowledge.api import router as knowledge_router
from qoldau.registry.api import router as registry_router
from qoldau.telephony.api import router as telephony_router

api = NinjaAPI(
    title="Qoldau API",
    version="1",
    urls_namespace="api",
    auth=api_auth,
    description="Registry, knowledge base, appeals and calls of the Unified Contact Center.",
)
install_error_handlers(api)
api.add_router("/registry/", registry_router)
api.add_router("/kb/", knowledge_router)
api.add_router("/appeals/", appeals_router)
api.add_router("/telephony/", telephony_router)
