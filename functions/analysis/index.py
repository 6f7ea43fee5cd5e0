"""Content analysis worker: raising here means "deliver the event again" (see services.worker)."""

from shared.functions_support import ai_worker_handler
from shared.media.ai.analysis.engine import run_analysis

main_handler = ai_worker_handler(run_analysis)
