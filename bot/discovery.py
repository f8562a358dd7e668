"""Find the subclasses a package's modules define: how the service registry (and the tests'
service doubles) learn their members without a list to keep in step."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from typing import Any


def subclasses_in(package: str, paths: Iterable[str], base: Any) -> list[Any]:
    """Every subclass of `base` defined (not merely imported) in a module of `package`, in
    module order."""
    # `base` is Any: mypy refuses an abstract class (UseapiService) where type[T] is asked for.
    found: list[Any] = []
    for info in pkgutil.iter_modules(list(paths)):
        module = importlib.import_module(f"{package}.{info.name}")
        found.extend(
            obj
            for obj in vars(module).values()
            if isinstance(obj, type)
            and issubclass(obj, base)
            and obj is not base
            and obj.__module__ == module.__name__
        )
    return found
