"""Kili's label search: `JOB.CATEGORY.count OP N`, combined with AND / OR and parentheses.

`count` is the number of times category CATEGORY appears in job JOB of a label's json response,
both as a classification answer (`{"JOB": {"categories": [{"name": C}]}}`) and inside object
annotations (`{"JOB": {"annotations": [{"categories": [{"name": C}]}]}}`). A label without the job
counts 0. OP is one of `== > >= < <=` (what the Kili SDK's own validator accepts) or `=` / `!=`;
AND binds tighter than OR (keywords in any case). Names are letters, digits, `_`, `-` and `*`
(taken literally).

The whole expression becomes SQL (jsonb_path_query_array + jsonb_array_length). Job and category
names only ever travel as bound parameters, never inside the SQL or jsonpath text.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Numeric, and_, cast, func, literal, or_
from sqlalchemy.dialects.postgresql import JSONB, JSONPATH

from gateway.errors import BadUserInput

MAX_COMPARISONS = 100
MAX_DEPTH = 20
COUNT_CEILING = Decimal(2**32)  # above any count jsonb_array_length can return
EXAMPLE = "JOB.CATEGORY.count > 0 AND (JOB2.A.count = 1 OR JOB2.B.count >= 2)"

_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
_TOKEN = re.compile(
    r"\s*(?:(?P<paren>[()])|(?P<op>>=|<=|!=|==|=|>|<)|(?P<number>\d+(?:\.\d+)?)(?![\w.\-*])|(?P<word>[\w\-*]+(?:\.[\w\-*]+)*))"
)
# Constant jsonpath texts; the category name is the jsonpath variable $category.
_CATEGORY_PATHS = (
    "lax $.categories[*] ? (@.name == $category)",
    "lax $.annotations[*].categories[*] ? (@.name == $category)",
)


@dataclass(frozen=True)
class _Token:
    kind: str  # paren, op, number, word, and, or, end
    text: str
    position: int


def search_condition(json_response: Any, expression: str) -> ColumnElement[bool]:
    """The SQL condition `expression` sets on the `json_response` column."""
    return _Parser(json_response, expression).parse()


def _tokenize(expression: str) -> list[_Token]:
    tokens, position = [], 0
    while position < len(expression):
        if expression[position:].strip() == "":
            break
        match = _TOKEN.match(expression, position)
        if match is None:
            start = len(expression) - len(expression[position:].lstrip())
            raise _error(expression, f"unexpected character '{expression[start]}'", start)
        group = match.lastgroup or "word"
        text = match.group(group)
        kind = text.lower() if group == "word" and text.upper() in {"AND", "OR"} else group
        tokens.append(_Token(kind, text, match.start(group)))
        position = match.end()
    tokens.append(_Token("end", "", len(expression)))
    return tokens


def _error(expression: str, problem: str, position: int) -> BadUserInput:
    return BadUserInput(
        f"search: {problem} at position {position} of '{expression}'. Expected comparisons such as `{EXAMPLE}`."
    )


class _Parser:
    """Recursive descent: or_expr := and_expr (OR and_expr)*; and_expr := factor (AND factor)*;
    factor := '(' or_expr ')' | JOB.CATEGORY.count OP N."""

    def __init__(self, json_response: Any, expression: str) -> None:
        self.column = json_response
        self.expression = expression
        self.tokens = _tokenize(expression)
        self.index = 0
        self.comparisons = 0

    def parse(self) -> ColumnElement[bool]:
        if self.tokens[0].kind == "end":
            raise _error(self.expression, "empty expression", 0)
        condition = self._or(0)
        self._expect("end", "end of expression")
        return condition

    def _peek(self) -> _Token:
        return self.tokens[self.index]

    def _next(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _expect(self, kind: str, what: str) -> _Token:
        token = self._next()
        if token.kind != kind:
            found = f"'{token.text}'" if token.text else "the end"
            raise _error(self.expression, f"expected {what}, found {found}", token.position)
        return token

    def _or(self, depth: int) -> ColumnElement[bool]:
        terms = [self._and(depth)]
        while self._peek().kind == "or":
            self._next()
            terms.append(self._and(depth))
        return terms[0] if len(terms) == 1 else or_(*terms)

    def _and(self, depth: int) -> ColumnElement[bool]:
        factors = [self._factor(depth)]
        while self._peek().kind == "and":
            self._next()
            factors.append(self._factor(depth))
        return factors[0] if len(factors) == 1 else and_(*factors)

    def _factor(self, depth: int) -> ColumnElement[bool]:
        token = self._peek()
        if token.kind == "paren" and token.text == "(":
            if depth >= MAX_DEPTH:
                raise _error(self.expression, f"parentheses nested deeper than {MAX_DEPTH}", token.position)
            self._next()
            inner = self._or(depth + 1)
            closing = self._next()
            if closing.text != ")":
                raise _error(self.expression, "missing ')'", closing.position)
            return inner
        return self._comparison()

    def _comparison(self) -> ColumnElement[bool]:
        path = self._expect("word", "JOB.CATEGORY.count")
        parts = path.text.split(".")
        if len(parts) != 3 or parts[2].lower() != "count":
            raise _error(self.expression, f"'{path.text}' is not of the form JOB.CATEGORY.count", path.position)
        op = self._expect("op", "a comparison operator (= != > >= < <=)")
        number = self._expect("number", "a number")
        self.comparisons += 1
        if self.comparisons > MAX_COMPARISONS:
            raise _error(self.expression, f"more than {MAX_COMPARISONS} comparisons", path.position)
        # `count > 3000000000` is a fine (never true) question, not an overflow: numbers are numeric,
        # and any beyond every possible count compare like COUNT_CEILING (so no size overflows numeric).
        value = literal(min(Decimal(number.text), COUNT_CEILING), Numeric)
        return _OPERATORS[op.text](category_count(self.column, parts[0], parts[1]), value)


def category_count(json_response: Any, job: str, category: str) -> ColumnElement[int]:
    """How many times `category` appears in `job` (classification answers plus annotations)."""
    job_value = json_response[job]
    variables = literal({"category": category}, JSONB)
    counts = [
        func.coalesce(
            func.jsonb_array_length(func.jsonb_path_query_array(job_value, cast(literal(path), JSONPATH), variables)),
            0,
        )
        for path in _CATEGORY_PATHS
    ]
    return counts[0] + counts[1]
