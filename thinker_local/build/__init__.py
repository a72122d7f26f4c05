"""Lambda-shaped execution environments: each function's dependencies, layers and runtime.

:mod:`.images` says what an environment's interpreter sees and in which order; :mod:`.sam`
builds a function's dependencies and the template's layers as ``sam build`` does;
:mod:`.published` rebuilds published layers from PyPI; :mod:`.cache` keeps every output by
content, so an unchanged function starts at once.
"""

from .cache import BuildError
from .images import FunctionImage, FunctionImages

__all__ = ["BuildError", "FunctionImage", "FunctionImages"]
