"""The baseline's RQ task: does nothing (the worker imports it as ``bench.noop.noop``)."""


def noop(*args, **kwargs) -> None:
    return None
