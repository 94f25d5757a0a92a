"""The log handler writes a turn of the event loop's lines in one write, in order."""

import asyncio
import io
import logging

from app.logs import LoopTurnStreamHandler


class CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def logger_to(stream: CountingStream) -> logging.Logger:
    logger = logging.getLogger(f"jalon.test-logs.{id(stream)}")
    logger.handlers[:] = [LoopTurnStreamHandler(stream)]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger


def test_off_the_loop_each_line_is_written_at_once() -> None:
    stream = CountingStream()
    logger = logger_to(stream)
    logger.info("one")
    assert stream.getvalue() == "one\n"
    logger.info("two")
    assert (stream.getvalue(), stream.writes) == ("one\ntwo\n", 2)


async def test_the_lines_of_one_turn_are_written_together_when_it_ends() -> None:
    stream = CountingStream()
    logger = logger_to(stream)
    for n in range(5):
        logger.info("line %d", n)
    assert stream.getvalue() == ""  # the turn has not ended
    await asyncio.sleep(0)
    assert stream.getvalue() == "".join(f"line {n}\n" for n in range(5))
    assert stream.writes == 1
    logger.info("next turn")
    await asyncio.sleep(0)
    assert stream.getvalue().endswith("line 4\nnext turn\n")
    assert stream.writes == 2


async def test_flush_and_a_line_from_elsewhere_write_what_waits_first() -> None:
    stream = CountingStream()
    logger = logger_to(stream)
    logger.info("waiting")
    logger.handlers[0].flush()  # what logging.shutdown does at exit
    assert stream.getvalue() == "waiting\n"
    logger.info("from the loop")
    await asyncio.to_thread(logger.info, "from a thread")
    # the thread's line came after the loop's, which it wrote first
    assert stream.getvalue() == "waiting\nfrom the loop\nfrom a thread\n"
    await asyncio.sleep(0)
    assert stream.getvalue() == "waiting\nfrom the loop\nfrom a thread\n"
