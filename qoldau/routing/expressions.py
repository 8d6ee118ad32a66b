"""Queue rules: a small, safe expression language over a task's attributes (no ``eval``).

    language == "kk" AND (service IN ["100101", "100102"] OR channel == "voice")
    NOT line == "88000807777"
    skills HAS "eds"

Operators: ``==`` ``!=`` ``<`` ``<=`` ``>`` ``>=`` ``IN`` (value in a list) ``HAS`` (a list
attribute contains a value), ``AND`` ``OR`` ``NOT`` and parentheses; literals are "strings",
numbers and [lists]; a bare name is a task attribute (missing ones are empty). Keywords are case
insensitive. ``compile_rule`` raises ``RuleError`` naming the position of the first problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Predicate = Callable[[Mapping[str, Any]], bool]
Value = Callable[[Mapping[str, Any]], Any]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,)
      | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "has", "true", "false"}
MAX_LENGTH = 500


class RuleError(ValueError):
    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at character {position + 1})")
        self.position = position


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        found = _TOKEN.match(text, pos)
        if found is None or found.end() == pos:
            raise RuleError("unexpected character", pos)
        kind = found.lastgroup or ""
        value = found.group(kind)
        start = found.start(kind)
        if kind == "name" and value.lower() in _KEYWORDS:
            kind, value = "kw", value.lower()
        out.append((kind, value, start))
        pos = found.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0

    def _peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def _take(self, kind: str, value: str | None = None) -> tuple[str, str, int] | None:
        token = self._peek()
        if token is not None and token[0] == kind and (value is None or token[1] == value):
            self.i += 1
            return token
        return None

    def _where(self) -> int:
        token = self._peek()
        return token[2] if token is not None else len(self.text)

    def parse(self) -> Predicate:
        predicate = self._or()
        if self._peek() is not None:
            raise RuleError("unexpected word", self._where())
        return predicate

    def _or(self) -> Predicate:
        parts = [self._and()]
        while self._take("kw", "or"):
            parts.append(self._and())
        if len(parts) == 1:
            return parts[0]
        return lambda a: any(p(a) for p in parts)

    def _and(self) -> Predicate:
        parts = [self._not()]
        while self._take("kw", "and"):
            parts.append(self._not())
        if len(parts) == 1:
            return parts[0]
        return lambda a: all(p(a) for p in parts)

    def _not(self) -> Predicate:
        if self._take("kw", "not"):
            inner = self._not()
            return lambda a: not inner(a)
        return self._comparison()

    def _comparison(self) -> Predicate:
        if self._take("op", "("):
            inner = self._or()
            if not self._take("op", ")"):
                raise RuleError("a closing parenthesis is missing", self._where())
            return inner
        left = self._operand()
        token = self._peek()
        if token is None or not (
            (token[0] == "op" and token[1] in {"==", "!=", "<", "<=", ">", ">="})
            or (token[0] == "kw" and token[1] in {"in", "has"})
        ):
            return lambda a: bool(left(a))
        self.i += 1
        right = self._operand()
        return _compare(token[1], left, right)

    def _operand(self) -> Value:
        token = self._peek()
        if token is None:
            raise RuleError("a value is missing", len(self.text))
        kind, value, _start = token
        self.i += 1
        if kind == "string":
            text = (
                bytes(value[1:-1], "utf-8").decode("unicode_escape")
                if "\\" in value
                else value[1:-1]
            )
            return lambda a: text
        if kind == "number":
            number = float(value) if "." in value else int(value)
            return lambda a: number
        if kind == "kw" and value in {"true", "false"}:
            flag = value == "true"
            return lambda a: flag
        if kind == "name":
            return lambda a: a.get(value, "")
        if kind == "op" and value == "[":
            items: list[Value] = []
            if not self._take("op", "]"):
                items.append(self._operand())
                while self._take("op", ","):
                    items.append(self._operand())
                if not self._take("op", "]"):
                    raise RuleError("a closing bracket is missing", self._where())
            return lambda a: [item(a) for item in items]
        raise RuleError("a value is expected here", _start)


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list | tuple | set | frozenset):
        return [str(v) for v in value]
    return [str(value)] if value not in ("", None) else []


def _compare(op: str, left: Value, right: Value) -> Predicate:
    def ordered(a: Mapping[str, Any]) -> bool:
        x, y = left(a), right(a)
        try:
            x, y = float(x), float(y)
        except (TypeError, ValueError):
            return False
        return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]

    if op == "==":
        return lambda a: str(left(a)) == str(right(a))
    if op == "!=":
        return lambda a: str(left(a)) != str(right(a))
    if op == "in":
        return lambda a: str(left(a)) in _as_list(right(a))
    if op == "has":
        return lambda a: str(right(a)) in _as_list(left(a))
    return ordered


def compile_rule(text: str) -> Predicate:
    """A predicate over a task's attributes; an empty rule matches every task."""
    text = (text or "").strip()
    if len(text) > MAX_LENGTH:
        raise RuleError(f"the rule is longer than {MAX_LENGTH} characters", MAX_LENGTH)
    if not text:
        return lambda a: True
    return _Parser(text).parse()
