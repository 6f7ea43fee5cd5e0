"""Transcode worker: raising here means "deliver the event again" (see services.worker)."""

from shared.functions_support import worker_handler
from shared.media.ffmpeg.engines import run_transcode

main_handler = worker_handler(run_transcode)
