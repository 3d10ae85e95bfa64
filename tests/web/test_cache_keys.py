"""The pages' cached views are keyed by who may see what: a force-wide scope and a commander
whose unit the geography no longer has (no units at all) must never share an entry."""

from __future__ import annotations

from types import SimpleNamespace

from forcestat.web.pages import Ctx
from forcestat.web.query import Scope


def _key(scope: Scope) -> tuple:
    snap = SimpleNamespace(snapshot="s1", refreshed_at="t1")
    return Ctx(request=None, who=None, scope=scope, snap=snap, public=False).key  # type: ignore[arg-type]


def test_cache_keys_tell_scopes_apart():
    analyst = _key(Scope("board"))
    orphan = _key(Scope("board", frozenset()))
    fenland = _key(Scope("board", frozenset({("district", "Fenland")})))
    cambridge = _key(Scope("board", frozenset({("district", "Cambridge")})))
    public = _key(Scope("public"))
    assert len({analyst, orphan, fenland, cambridge, public}) == 5
    # The same scope built twice is one entry.
    assert fenland == _key(Scope("board", frozenset({("district", "Fenland")})))
