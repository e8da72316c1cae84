"""structlog JSON logging to stdout; every line carries what is bound in the current context
(service, and while a message is processed: ce_id, ce_type, aggregate id, trace id). Lines from
libraries (aiokafka, FastStream, uvicorn) go through the same renderer."""

import logging
import sys

import structlog
from structlog.typing import Processor

SHARED: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def _not_a_record(line: logging.LogRecord) -> bool:
    return line.msg != "Sending (key=%s value=%s) to %s"


def configure_logging(service: str, level: str = "INFO") -> None:
    structlog.configure(
        # Lines below the level are dropped before any processor runs (they cost per message otherwise).
        processors=[structlog.stdlib.filter_by_level, *SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=SHARED,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(ensure_ascii=False),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    # aiokafka's producer logs every record it sends, body and all, at DEBUG: a dead letter is the
    # refused record as it came, personal data included (docs/security.md).
    producer = logging.getLogger("aiokafka.producer.producer")
    if _not_a_record not in producer.filters:
        producer.addFilter(_not_a_record)
    structlog.contextvars.bind_contextvars(service=service)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)
