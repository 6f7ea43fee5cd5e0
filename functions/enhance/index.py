"""Audio/video enhancement worker: raising here means "deliver the event again" (see services.worker)."""

from shared.functions_support import ai_worker_handler
from shared.media.ai.enhance.engine import run_enhancement

main_handler = ai_worker_handler(run_enhancement)
