"""The logger every function shares (powertools: JSON lines, correlation ids; level from
POWERTOOLS_LOG_LEVEL)."""

from __future__ import annotations

from aws_lambda_powertools import Logger

logger = Logger(service="openmps")
