"""JSON-LD expansion in safe mode, over the bundled contexts only.

pyld does the JSON-LD 1.1 expansion.  Two things are added:

* **Safe mode** (required by W3C Data Integrity, "DATA_LOSS_DETECTION_ERROR"): a term the
  contexts do not define, or any relative IRI left after expansion (``@id``, ``@type``, a
  datatype), is an error instead of being silently dropped.
* **Processed-context memo**: pyld re-processes every context on every call, which is most
  of its run time.  Processing is a pure function of (active context, local context, flags),
  and pyld returns fresh, never-mutated active-context objects, so the result is memoised on
  the identity of the active context and the value of the local context.  A property test
  (tests/property/test_canonical_property.py) checks the memoised path against a fresh pyld.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from pyld import jsonld
from pyld.context_resolver import ContextResolver
from pyld.jsonld import JsonLdError as PyldError
from pyld.jsonld import JsonLdProcessor

from credstack.errors import CredstackError, DataLossError, JsonLdError
from credstack.jsonld.loader import ContextVariant, StaticDocumentLoader
from credstack.jsonld.shapes import (
    NoShape,
    Shape,
    Template,
    compile_template,
    instantiate,
    marker_document,
    shape_of,
)

_MEMO_LIMIT = 4096
_KEYWORDS = frozenset(
    {
        "@id",
        "@type",
        "@value",
        "@language",
        "@direction",
        "@list",
        "@set",
        "@graph",
        "@index",
        "@reverse",
        "@included",
        "@json",
        "@nest",
    }
)


# the test JSON-LD processors apply: a scheme, a colon, no whitespace (blank node ids count)
_ABSOLUTE_IRI = re.compile(r"([A-Za-z][A-Za-z0-9+\-.]*|_):[^\s]*\Z")


def is_absolute_iri(value: str) -> bool:
    """True for an absolute IRI (or blank node id), as JSON-LD processors decide it."""
    return _ABSOLUTE_IRI.match(value) is not None


class _DroppedTerms(Exception):
    """Internal: carries dropped term names out of pyld."""


class _MemoProcessor(JsonLdProcessor):  # type: ignore[misc]
    """A pyld processor whose context processing is memoised (see module docstring)."""

    def __init__(
        self, memo: dict[tuple[Any, ...], tuple[Any, Any, Any]], dropped: list[str]
    ) -> None:
        super().__init__(on_property_dropped=self._dropped)
        self._memo = memo
        self._dropped_terms = dropped

    def _dropped(self, expanded_property: str | None) -> None:
        self._dropped_terms.append(str(expanded_property))

    def _process_context(
        self,
        active_ctx: Any,
        local_ctx: Any,
        options: Any,
        override_protected: bool = False,
        propagate: bool = True,
        validate_scoped: bool = True,
        cycles: Any = None,
    ) -> Any:
        if cycles:
            return super()._process_context(
                active_ctx,
                local_ctx,
                options,
                override_protected,
                propagate,
                validate_scoped,
                cycles,
            )
        local_key: Any
        if isinstance(local_ctx, str):
            local_key = local_ctx
        elif isinstance(local_ctx, list) and all(isinstance(c, str) for c in local_ctx):
            local_key = tuple(local_ctx)
        else:
            local_key = id(local_ctx)
        key = (id(active_ctx), local_key, override_protected, propagate, validate_scoped)
        hit = self._memo.get(key)
        if (
            hit is not None
            and hit[0] is active_ctx
            and (not isinstance(local_key, int) or hit[1] is local_ctx)
        ):
            return hit[2]
        result = super()._process_context(
            active_ctx, local_ctx, options, override_protected, propagate, validate_scoped, cycles
        )
        if len(self._memo) >= _MEMO_LIMIT:
            self._memo.clear()
        # keep references so that the ids in the key cannot be reused while memoised
        self._memo[key] = (active_ctx, local_ctx, result)
        return result


class Expander:
    """Expands JSON-LD documents in safe mode with the bundled contexts (one per variant)."""

    def __init__(
        self, variant: ContextVariant = ContextVariant.PUBLISHED, *, memoize: bool = True
    ) -> None:
        self.variant = variant
        self.memoize = memoize
        self._loader = StaticDocumentLoader(variant)
        self._lock = threading.Lock()
        self._resolved_cache: Any = jsonld.LRUCache(maxsize=256)
        self._memo: dict[tuple[Any, ...], tuple[Any, Any, Any]] = {}
        self._shapes: dict[Any, object] = {}

    def _options(self) -> dict[str, Any]:
        return {
            "base": None,
            "documentLoader": self._loader,
            "contextResolver": ContextResolver(self._resolved_cache, self._loader),
            "isFrame": False,
            "keepFreeFloatingNodes": False,
            "extractAllScripts": False,
            "processingMode": "json-ld-1.1",
        }

    def _entry(self, document: dict[str, Any]) -> tuple[Template, Shape] | None:
        """The template for the document's shape, made on a miss; ``None`` means "expand this
        document afresh" (no shape, no template, or a shape known to fail: the fresh expansion
        then raises the error with this document's own values in its message)."""
        try:
            shape = shape_of(document)
        except NoShape:
            return None
        except RecursionError:
            raise JsonLdError("document nests too deeply", code="INPUT_TOO_DEEP") from None
        entry = self._shapes.get(shape.key)
        if entry is None:
            try:
                expanded = self.expand_fresh(marker_document(document))
                template = compile_template(expanded, len(shape.values))
                entry = _UNTEMPLATED if template is None else template
            except JsonLdError:
                entry = _FAILS
            if len(self._shapes) >= _MEMO_LIMIT:
                self._shapes.clear()
            self._shapes[shape.key] = entry
        if entry is _UNTEMPLATED or entry is _FAILS:
            return None
        return entry, shape  # type: ignore[return-value]

    def check(self, document: dict[str, Any]) -> None:
        """Safe-mode check only: raises what :meth:`expand` would raise, without the output."""
        if self._entry(document) is None:
            self.expand_fresh(document)

    def expand(self, document: dict[str, Any]) -> list[Any]:
        """Expanded form of ``document``; raises :class:`JsonLdError` on any data loss.

        Served from the shape memo (see :mod:`credstack.jsonld.shapes`) when it applies; the
        result may share structure with the memo and must not be mutated.
        """
        found = self._entry(document) if self.memoize else None
        if found is None:
            return self.expand_fresh(document)
        template, shape = found
        result: list[Any] = instantiate(template, shape.values)
        return result

    def expand_fresh(self, document: dict[str, Any]) -> list[Any]:
        """Expand with pyld (contexts memoised unless ``memoize`` is off) in safe mode."""
        dropped: list[str] = []
        options = self._options()
        try:
            if self.memoize:
                with self._lock:
                    processor = _MemoProcessor(self._memo, dropped)
                    active_ctx = processor._get_initial_context(options)
                    expanded = processor._expand(
                        active_ctx, None, document, options, inside_list=False
                    )
            else:
                processor = JsonLdProcessor(on_property_dropped=lambda p: dropped.append(str(p)))
                active_ctx = processor._get_initial_context(options)
                expanded = processor._expand(active_ctx, None, document, options, inside_list=False)
        except PyldError as exc:
            raise _translate(exc) from None
        except CredstackError:
            raise
        except RecursionError:
            raise JsonLdError("document nests too deeply", code="INPUT_TOO_DEEP") from None
        except (OverflowError, ValueError, TypeError, KeyError, AttributeError) as exc:
            # pyld lets some malformed input escape as plain Python errors
            raise JsonLdError(
                f"JSON-LD processing failed: {type(exc).__name__}: {exc}", code="JSONLD_ERROR"
            ) from None
        if dropped:
            names = ", ".join(sorted(set(dropped)))
            raise DataLossError(
                f"safe mode: term(s) not defined by any context: {names}",
                terms=frozenset(dropped),
            )
        if isinstance(expanded, dict) and "@graph" in expanded and len(expanded) == 1:
            expanded = expanded["@graph"]
        elif expanded is None:
            expanded = []
        result: list[Any] = expanded if isinstance(expanded, list) else [expanded]
        check_absolute_iris(result)
        return result


def _translate(exc: PyldError) -> CredstackError:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, CredstackError):
            return cause
        cause = cause.__cause__ or cause.__context__
    code = getattr(exc, "code", None) or getattr(exc, "type", "")
    text = str(getattr(exc, "message", "") or exc).splitlines()[0]
    return JsonLdError(f"JSON-LD processing failed ({code}): {text}", code="JSONLD_ERROR")


def check_absolute_iris(expanded: list[Any]) -> None:
    """Safe mode on the expanded form: every ``@id``, ``@type`` and property is absolute."""
    stack: list[Any] = list(expanded)
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        for key, value in node.items():
            if key[0] == "@":
                if key == "@id":
                    _require_absolute(value, "@id")
                elif key == "@type":
                    if "@value" in node:
                        if value != "@json":
                            _require_absolute(value, "datatype")
                    else:
                        for t in value if isinstance(value, list) else [value]:
                            _require_absolute(t, "@type")
                elif key in ("@graph", "@list", "@set", "@included"):
                    stack.append(value)
                elif key == "@reverse" and isinstance(value, dict):
                    stack.append([value])
            else:
                if not is_absolute_iri(key) or key.startswith("_:"):
                    # a blank-node property is generalized RDF: its statements would be dropped
                    raise JsonLdError(
                        f"safe mode: property {key!r} is not an absolute IRI",
                        code="DATA_LOSS_DETECTION_ERROR",
                    )
                stack.append(value)


def _require_absolute(value: Any, what: str) -> None:
    if not isinstance(value, str) or not is_absolute_iri(value):
        raise JsonLdError(
            f"safe mode: {what} value {value!r} is a relative IRI; it would be dropped",
            code="RELATIVE_IRI_ERROR",
        )


_UNTEMPLATED = object()  # the shape expands, but its markers cannot be put back
_FAILS = object()  # the shape fails safe mode


_EXPANDERS: dict[ContextVariant, Expander] = {}


def expander(variant: ContextVariant = ContextVariant.PUBLISHED) -> Expander:
    """The shared, memoised expander for a context variant."""
    found = _EXPANDERS.get(variant)
    if found is None:
        found = _EXPANDERS[variant] = Expander(variant)
    return found


def expand(
    document: dict[str, Any], variant: ContextVariant = ContextVariant.PUBLISHED
) -> list[Any]:
    return expander(variant).expand(document)
