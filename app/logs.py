"""Log configuration: one JSON object per line, or plain text for a terminal.

Only the fields passed explicitly in ``extra`` are written; nothing logs request
bodies, query strings or personal data.
"""

import asyncio
import logging
import sys
from typing import Any, TextIO

import orjson

from app.settings import LogFormat

_STANDARD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "color_message"}
)


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {
        key: value
        for key, value in record.__dict__.items()
        if key not in _STANDARD_ATTRIBUTES and not key.startswith("_")
    }


class JsonFormatter(logging.Formatter):
    _second = -1
    _stamp = ""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self._time(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **extra_fields(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()

    def _time(self, record: logging.LogRecord) -> str:
        # one strftime a second, not one a line: the access log writes a line a request
        second = int(record.created)
        if second != self._second:
            self._stamp = self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z")
            self._second = second
        return self._stamp


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{key}={value}" for key, value in extra_fields(record).items())
        return f"{super().format(record)} {fields}".rstrip()


class LoopTurnStreamHandler(logging.StreamHandler[TextIO]):
    """A stream handler that, on a thread running an event loop, writes the lines of
    one turn of the loop together when the turn ends: one system call for every
    request the turn finished (dozens under load) rather than one per access-log line.
    Off the loop (start-up, the CLI, other threads) each line is written at once.

    A line waits microseconds, never for more lines; a process killed outright loses
    the lines of its last turn at most."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self._pending: list[str] = []
        self._scheduled = False

    def emit(self, record: logging.LogRecord) -> None:
        # called under the handler's lock (Handler.handle)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._write_pending()  # in order: what the loop had written first
            super().emit(record)
            return
        try:
            self._pending.append(self.format(record) + self.terminator)
        except Exception:
            self.handleError(record)
            return
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._end_of_turn)

    def _end_of_turn(self) -> None:
        with self.lock:  # type: ignore[union-attr]  # created by Handler.__init__
            self._scheduled = False
            self._write_pending()

    def _write_pending(self) -> None:
        if self._pending:
            lines, self._pending = "".join(self._pending), []
            self.stream.write(lines)
            self.stream.flush()

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._write_pending()
        super().flush()


def configure_logging(log_format: LogFormat, level: str) -> None:
    # no line says which thread, process or source line wrote it: skip gathering that
    # for every record (the logging HOWTO's "Optimization" section)
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging._srcfile = None
    handler = LoopTurnStreamHandler(sys.stdout)
    if log_format is LogFormat.json:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter())
    jalon = logging.getLogger("jalon")
    jalon.handlers[:] = [handler]
    jalon.setLevel(level)
    jalon.propagate = False


def uvicorn_log_config(log_format: LogFormat, level: str) -> dict[str, Any]:
    """uvicorn's own lines (start, stop, errors) in the same format as jalon's."""
    formatter = JsonFormatter if log_format is LogFormat.json else TextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"jalon": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "formatter": "jalon",
                "stream": "ext://sys.stdout",
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["stdout"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": [], "propagate": False},
        },
    }
