"""Safe YAML loading that remembers the line of every value.

Profiles are written by hand, so a mistake must be reported as ``file:line: what is
wrong``. PyYAML's node graph knows the line of each node; this module turns the graph into
plain Python values (through ``SafeLoader``, so no tags beyond YAML's own) and keeps a
side table from each value's path (``("fields", "price", "css")``) to its 1-based line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["MarkedYaml", "YamlSyntaxError", "load_marked_yaml"]

YamlPath = tuple[str | int, ...]

MAX_NODES = 100_000
"""Values one document may expand to, counting each use of an alias afresh: far above any
real profile or schedule, far below what nested aliases ("billion laughs") multiply into."""


class YamlSyntaxError(ValueError):
    """The text is not YAML; ``line`` is 1-based (0 when unknown)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class MarkedYaml:
    """A loaded document and the line each of its values starts on."""

    data: Any
    lines: dict[YamlPath, int]

    def line_of(self, path: YamlPath) -> int:
        """The line of ``path``, or of its nearest ancestor that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


def load_marked_yaml(text: str, source: Path | str = "<string>") -> MarkedYaml:
    """Parse ``text`` safely; raise :class:`YamlSyntaxError` naming the line on bad YAML.

    Hostile input is refused the same way: more than :data:`MAX_NODES` values once
    aliases are expanded, or nesting deeper than Python's recursion limit.
    """
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        lines: dict[YamlPath, int] = {}
        data = _construct(loader, node, (), lines, [MAX_NODES]) if node is not None else None
    except RecursionError:
        raise YamlSyntaxError("nested too deeply to read", loader.line + 1) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        raise YamlSyntaxError(f"{exc.problem or exc.context or 'invalid YAML'}", line) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(str(exc), 0) from exc
    finally:
        loader.dispose()
    return MarkedYaml(data=data, lines=lines)


def _construct(
    loader: yaml.SafeLoader,
    node: yaml.Node,
    path: YamlPath,
    lines: dict[YamlPath, int],
    budget: list[int],
) -> Any:
    """Build ``node``'s value; ``budget`` holds how many more values may be built.

    An alias is built afresh at every use, so each value gets its own path and line, and
    the budget is what stops a few lines of nested aliases from filling the memory.
    """
    budget[0] -= 1
    if budget[0] < 0:
        raise YamlSyntaxError(
            f"too many values (more than {MAX_NODES:,} once aliases are expanded)",
            node.start_mark.line + 1,
        )
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # YAML merge keys (``<<: *defaults``)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int):
                line = key_node.start_mark.line + 1
                raise YamlSyntaxError(f"mapping key {key!r} must be text", line)
            if key in result:
                raise YamlSyntaxError(f"duplicate key {key!r}", key_node.start_mark.line + 1)
            result[key] = _construct(loader, value_node, (*path, key), lines, budget)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _construct(loader, item, (*path, i), lines, budget) for i, item in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=True)
