"""Label selectors and node selector terms, as the scheduler plugins match them.

Mirrors ``k8s.io/apimachinery/pkg/labels/selector.go`` (``Requirement``, ``Selector``),
``k8s.io/apimachinery/pkg/apis/meta/v1/helpers.go`` (``LabelSelectorAsSelector``) and
``k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go``
(``nodeSelectorTerm``, ``RequiredNodeAffinity``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from capacity.k8s.node import Node

OBJECT_NAME_FIELD = "metadata.name"


# ------------------------------------------------------------------- label selectors

_LABEL_VALUE_RE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
_INTEGER_RE = re.compile(r"[+-]?[0-9]+")

_SELECTOR_OPS = ("In", "NotIn", "Exists", "DoesNotExist")
_NODE_SELECTOR_OPS = (*_SELECTOR_OPS, "Gt", "Lt")


def _valid_label_value(value: str) -> bool:
    """``validation.IsValidLabelValue``: at most 63 characters of the label alphabet."""
    return len(value) <= 63 and _LABEL_VALUE_RE.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class Requirement:
    """``labels.Requirement``: one key, operator and value set."""

    key: str
    operator: str
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """``(*Requirement).Matches``."""
        op = self.operator
        if op == "In":
            v = labels.get(self.key)
            return v is not None and v in self.values
        if op == "NotIn":
            v = labels.get(self.key)
            return v is None or v not in self.values
        if op == "Exists":
            return self.key in labels
        if op == "DoesNotExist":
            return self.key not in labels
        # Gt / Lt: both sides must parse as base-10 int64; otherwise no match.
        v = labels.get(self.key)
        if v is None or _INTEGER_RE.fullmatch(v) is None:
            return False
        lhs = int(v)
        rhs = int(next(iter(self.values)))
        return lhs > rhs if op == "Gt" else lhs < rhs


class Selector:
    """``labels.Selector``: requirements ANDed. ``Selector.nothing()`` matches no set."""

    __slots__ = ("_eq", "_nothing", "_rest", "requirements")

    def __init__(self, requirements: Iterable[Requirement] = (), nothing: bool = False) -> None:
        self.requirements: tuple[Requirement, ...] = tuple(requirements)
        self._nothing = nothing
        # Fast path for matchLabels-style requirements (key In {one value}), the common case.
        self._eq = tuple(
            (r.key, next(iter(r.values)))
            for r in self.requirements
            if r.operator == "In" and len(r.values) == 1
        )
        self._rest = tuple(
            r for r in self.requirements if not (r.operator == "In" and len(r.values) == 1)
        )

    @classmethod
    def nothing(cls) -> Selector:
        """``labels.Nothing()``."""
        return cls((), nothing=True)

    def is_nothing(self) -> bool:
        """This is ``labels.Nothing()`` (from a nil LabelSelector)."""
        return self._nothing

    def empty(self) -> bool:
        """``Selector.Empty()``: no requirements (matches everything)."""
        return not self._nothing and not self.requirements

    def matches(self, labels: Mapping[str, str]) -> bool:
        """``Selector.Matches``."""
        if self._nothing:
            return False
        for k, v in self._eq:
            if labels.get(k) != v:
                return False
        if self._rest:
            for r in self._rest:
                if not r.matches(labels):
                    return False
        return True

    def add(self, *requirements: Requirement) -> Selector:
        """``Selector.Add``: a new selector with more requirements."""
        if self._nothing:
            return self
        return Selector((*self.requirements, *requirements))

    def __repr__(self) -> str:
        if self._nothing:
            return "Selector.nothing()"
        return f"Selector({list(self.requirements)!r})"


def label_selector_as_selector(selector: Mapping[str, Any] | None) -> Selector:
    """``metav1.LabelSelectorAsSelector``: a ``{matchLabels, matchExpressions}`` dict.

    None matches nothing, ``{}`` everything. Raises ValueError on an unknown operator, on
    values given to Exists/DoesNotExist or missing for In/NotIn, or on an invalid label value.
    """
    if selector is None:
        return Selector.nothing()
    reqs: list[Requirement] = []
    for k, v in (selector.get("matchLabels") or {}).items():
        v = "" if v is None else str(v)
        if not _valid_label_value(v):
            raise ValueError(f"invalid label value {v!r} for key {k!r}")
        reqs.append(Requirement(str(k), "In", frozenset((v,))))
    for expr in selector.get("matchExpressions") or []:
        reqs.append(_requirement(expr, _SELECTOR_OPS))
    return Selector(reqs)


def label_selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """Whether a LabelSelector dict selects these labels (None selects nothing)."""
    return label_selector_as_selector(selector).matches(labels)


def _requirement(expr: Mapping[str, Any], allowed: Sequence[str]) -> Requirement:
    key = str(expr.get("key", ""))
    op = str(expr.get("operator", ""))
    values = [str(v) for v in expr.get("values") or []]
    if op not in allowed:
        raise ValueError(f"{op!r} is not a valid label selector operator")
    if op in ("In", "NotIn"):
        if not values:
            raise ValueError(f"for 'in', 'notin' operators, values set can't be empty ({key})")
    elif op in ("Exists", "DoesNotExist"):
        if values:
            raise ValueError(f"values set must be empty for exists and does not exist ({key})")
    elif len(values) != 1 or _INTEGER_RE.fullmatch(values[0]) is None:
        raise ValueError(f"for 'Gt', 'Lt' operators, exactly one integer value is required ({key})")
    for v in values:
        if not _valid_label_value(v):
            raise ValueError(f"invalid label value {v!r} for key {key!r}")
    return Requirement(key, op, frozenset(values))


# ------------------------------------------------------------ node selector terms


@dataclass(frozen=True, slots=True)
class NodeSelectorTerm:
    """A parsed ``core/v1 NodeSelectorTerm`` (component-helpers ``nodeSelectorTerm``).

    A term with neither matchExpressions nor matchFields matches no node; a term that
    failed to parse (invalid operator or value) matches no node either.
    """

    labels: Selector | None
    fields: Selector | None
    parse_error: str | None = None

    def match(self, node: Node) -> bool:
        """``nodeSelectorTerm.match``."""
        if self.labels is None and self.fields is None:
            return False
        if self.parse_error is not None:
            return False
        if self.labels is not None and not self.labels.matches(node.labels):
            return False
        return self.fields is None or self.fields.matches({OBJECT_NAME_FIELD: node.name})


def node_selector_term(term: Mapping[str, Any]) -> NodeSelectorTerm:
    """Parse a NodeSelectorTerm dict (``newNodeSelectorTerm``); errors are kept, not raised.

    ``matchFields`` accepts In/NotIn with exactly one value (``metadata.name``).
    """
    labels: Selector | None = None
    fields: Selector | None = None
    error: str | None = None
    exprs = term.get("matchExpressions") or []
    if exprs:
        try:
            labels = Selector(_requirement(e, _NODE_SELECTOR_OPS) for e in exprs)
        except ValueError as e:
            labels, error = Selector(), str(e)
    fexprs = term.get("matchFields") or []
    if fexprs:
        reqs = []
        for e in fexprs:
            op = e.get("operator")
            values = list(e.get("values") or [])
            if op not in ("In", "NotIn") or len(values) != 1:
                error = error or f"invalid matchFields requirement {dict(e)!r}"
                continue
            reqs.append(Requirement(str(e.get("key", "")), op, frozenset((str(values[0]),))))
        fields = Selector(reqs)
    return NodeSelectorTerm(labels, fields, error)


@dataclass(frozen=True, slots=True)
class RequiredNodeAffinity:
    """``nodeaffinity.RequiredNodeAffinity``: ``nodeSelector`` AND required node affinity.

    ``terms`` is None when the pod has no required node affinity; an empty tuple (a
    required affinity with no terms) matches no node.
    """

    node_selector: Mapping[str, str] = field(default_factory=dict)
    terms: tuple[NodeSelectorTerm, ...] | None = None

    def is_empty(self) -> bool:
        """No nodeSelector and no required affinity: every node matches."""
        return not self.node_selector and self.terms is None

    def match(self, node: Node) -> bool:
        """``(RequiredNodeAffinity).Match``."""
        labels = node.labels
        for k, v in self.node_selector.items():
            if labels.get(k) != v:
                return False
        if self.terms is None:
            return True
        return any(t.match(node) for t in self.terms)
