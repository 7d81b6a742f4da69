"""Rewrite a test cell so that it only observes: what the student's kernel runs under
`academy grade`.

Every ``checks.<name>(actual, expected, ...)`` call becomes ``checks.observe("<name>", actual)``,
so expected values, tolerances and validity predicates are never evaluated in the student's
kernel. Then statements that only bind names nothing else reads any more (the reference
helpers, the predicates, ``want = ...``) are removed, so no expected value sits in the
kernel's globals where a student's function could look it up through its caller's frame.

A removed statement must not change what the kept code computes: if it calls a method of an
object the kept code still uses (``noise = rng.normal()`` draws from the generator the inputs
come from), removing it would shift every later input. Such a statement is kept and reported,
so an instructor can move the expected value's computation after the inputs are drawn.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

CHECK_MODULE = "checks"


@dataclass
class Stripped:
    source: str
    calls: int  # check calls rewritten
    kept_unsafe: list[str] = field(default_factory=list)  # statements kept to preserve state


def _is_check_call(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name) and node.func.value.id == CHECK_MODULE
            and node.func.attr != "observe" and node.func.attr[:1].islower()
            and node.func.attr not in ("l1_bound",))


class _ObserveOnly(ast.NodeTransformer):
    def __init__(self):
        self.calls = 0

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if not _is_check_call(node):
            return node
        actual = node.args[0] if node.args else next(
            (k.value for k in node.keywords if k.arg in ("actual", "circuit")), ast.Constant(None))
        self.calls += 1
        return ast.copy_location(ast.Call(
            func=ast.Attribute(value=ast.Name(CHECK_MODULE, ast.Load()), attr="observe", ctx=ast.Load()),
            args=[ast.Constant(node.func.attr), actual], keywords=[]), node)


def _loaded(tree: ast.AST) -> set[str]:
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Del)}
    # `global x` in a function, nonlocal, and augmented assignment read the name too
    names |= {n.target.id for n in ast.walk(tree) if isinstance(n, ast.AugAssign)
              and isinstance(n.target, ast.Name)}
    return names


def _bound(stmt: ast.stmt) -> set[str] | None:
    """The names a removable statement binds, or None if it is not a pure binding."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {stmt.name}
    targets = (stmt.targets if isinstance(stmt, ast.Assign)
               else [stmt.target] if isinstance(stmt, ast.AnnAssign) and stmt.value else None)
    if targets is None:
        return None
    names = set()
    for t in targets:
        parts = t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t]
        if not all(isinstance(p, ast.Name) for p in parts):
            return None  # x[i] = ..., obj.attr = ...: mutates something, keep it
        names |= {p.id for p in parts}
    return names


def _touches(stmt: ast.stmt, live: set[str]) -> bool:
    """Does the statement call a method that may change an object the kept code uses (a draw
    from the inputs' random generator, an append to a list the kept code reads)?"""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return False  # defining a function runs nothing
    for node in ast.walk(stmt):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            root = node.func.value
            while isinstance(root, (ast.Attribute, ast.Subscript, ast.Call)):
                root = root.func if isinstance(root, ast.Call) else root.value
            if (isinstance(root, ast.Name) and root.id in live and root.id not in _PURE_MODULES
                    and node.func.attr not in _PURE_METHODS):
                return True
    return False


# Modules and classes whose functions do not change state the kept code depends on, and
# methods that only read their object.
_PURE_MODULES = {"np", "numpy", "math", "cmath", "Statevector", "Operator", "QuantumCircuit",
                 "ipaddress", "dt", "datetime", "re", "json", "statistics", "itertools"}
_PURE_METHODS = {"items", "keys", "values", "get", "copy", "sum", "mean", "conj", "to_matrix",
                 "evolve", "format", "split", "join", "strip", "lower", "upper", "index",
                 "count", "startswith", "endswith", "replace", "tolist", "reshape", "ravel",
                 "astype", "dot", "from_int", "from_label", "probabilities_dict", "compose",
                 "inverse", "assign_parameters", "isoformat", "total_seconds", "subnet_of", "overlaps"}


def _bodies(node: ast.AST):
    for name in ("body", "orelse", "finalbody"):
        body = getattr(node, name, None)
        if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
            yield node, name
    for handler in getattr(node, "handlers", []) or []:
        yield handler, "body"


def _prune(tree: ast.Module, kept_unsafe: list[str]) -> bool:
    """Remove one round of dead bindings; True if anything was removed."""
    live = _loaded(tree)
    removed = False
    for owner in [tree, *ast.walk(tree)]:
        for node, attr in _bodies(owner):
            body = getattr(node, attr)
            keep = []
            for stmt in body:
                names = _bound(stmt)
                if names is not None and not (names & live):
                    if _touches(stmt, live):
                        text = ast.unparse(stmt).splitlines()[0]
                        if text not in kept_unsafe:
                            kept_unsafe.append(text)
                    else:
                        removed = True
                        continue
                keep.append(stmt)
            setattr(node, attr, keep or [ast.Pass()])
    return removed


def observe_only(source: str) -> Stripped:
    """The observe-only form of a test cell's source (see the module docstring)."""
    tree = ast.parse(source)
    rewriter = _ObserveOnly()
    tree = rewriter.visit(tree)
    kept_unsafe: list[str] = []
    if rewriter.calls:
        while _prune(tree, kept_unsafe):
            pass
    ast.fix_missing_locations(tree)
    return Stripped(ast.unparse(tree), rewriter.calls, kept_unsafe)
