"""structlog JSON logging to stdout; every line carries what is bound in the current context
(service, and while a message is processed: ce_id, ce_type, aggregate id, trace id). Lines from
libraries (aiokafka, FastStream, uvicorn) go through the same renderer.

Our own lines do not pass through the standard library's logging: a record, a handler and a
formatter for each cost about 100 µs a line, and a service writes one line per message it
processes (BENCHMARKS.md, "Logging and signature checks")."""

import logging
import sys
from typing import Any

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

SHARED: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]
RENDER: list[Processor] = [structlog.processors.format_exc_info, structlog.processors.JSONRenderer(ensure_ascii=False)]


class _Line:
    """Writes a rendered line to stdout and flushes it, as a stream handler does; knows its
    logger's name. stdout is looked up per line: a logger is cached, and stdout can be replaced."""

    def __init__(self, name: str) -> None:
        self.name = name

    def msg(self, line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    log = debug = info = warning = warn = error = critical = exception = fatal = msg


def _line(*args: Any) -> _Line:
    return _Line(args[0] if args else "")


def _add_logger_name(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    event_dict["logger"] = logger.name
    return event_dict


def _not_a_record(line: logging.LogRecord) -> bool:
    return line.msg != "Sending (key=%s value=%s) to %s"


def _of_service(service: str) -> Processor:
    """The service's name on every line: a constant, not a context variable that clearing the
    context while a message is processed would take away."""

    def add_service(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
        event_dict["service"] = service
        return event_dict

    return add_service


def configure_logging(service: str, level: str = "INFO") -> None:
    structlog.configure(
        processors=[
            _of_service(service),
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            _add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            *RENDER,
        ],
        # A line below the level is a method that returns at once: nothing of it is built.
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        logger_factory=_line,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[_of_service(service), *SHARED],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *RENDER],
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


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
