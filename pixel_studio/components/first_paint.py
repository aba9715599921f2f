"""The first screen's data before the socket: a plain HTTP fetch started while the HTML parses.

Without this a public page waits for its JavaScript, the socket's handshake, the hydrate event
and `on_load` before it knows which images to show; only then does the browser start the
largest image. `FIRST_PAINT_JS` (an inline script in every page's <head>, so also in the SPA
fallback that dynamic routes such as /image/<id> are served with) starts, while the page's
JavaScript still downloads:

- on /explore: `GET /api/v1/explore` with the page's own query (same services, same cached
  bytes as the REST API);
- on /image/<id>: `GET /api/v1/images/<id>`;
- on /u/<name>: `GET /api/v1/users/<name>/images?limit=1`, for its picture only;

and as soon as the JSON is in, a `<link rel="preload" as="image" fetchpriority="high">` for the
picture the page will show first (the first card's thumbnail, or the image itself), so the LCP
image downloads before the JavaScript (which waits for it: `picture`, and
frontend_build.defer_boot). On a prerendered page (explore) the
skeleton's first card (`.ps-first-pic`) also shows that picture as its background, in the very
box the real card will take: the first image is on screen before React has hydrated.

The visibility rule: these fetches send no cookie (`credentials: "omit"`), so they only ever
carry what any visitor may see. A signed-in viewer's own private items keep coming through the
socket: the state's data replaces the prefill as soon as `on_load` has run (pages render
`rx.cond(State.loaded, State.x, prefill)`). Measured against the alternatives in
bench/RESULTS.md (issue 16).

On the React side, `first_paint_var(kind)` is a Var that is `null` on the first render (so
hydration matches the prerendered HTML) and holds the prefill, mapped to the state's shape,
right after mount.
"""

from __future__ import annotations

from typing import Any, Literal

import reflex as rx
from reflex.vars import Var, VarData
from reflex_base.event import EventSpec
from reflex_base.utils.imports import ImportVar

from pixel_studio.frontend_build import FIRST_PICTURE_STYLE_ID, first_picture_css

Kind = Literal["explore", "image"]

# Page size of the explore grid (state/explore.PAGE_SIZE) is the API's default limit: the
# prefill is the same first page the socket brings, so nothing moves when it arrives.
FIRST_PAINT_JS = r"""
(function () {
  var path = location.pathname.replace(/\/+$/, "") || "/";
  var url = null, pick = null, m;
  if (path === "/explore") {
    var keep = ["q", "model", "style", "sort", "window"];
    var src = new URLSearchParams(location.search), q = new URLSearchParams();
    // As state/explore.filters_from reads them: trimmed, "all" meaning no filter.
    keep.forEach(function (k) {
      var v = (src.get(k) || "").trim();
      if (v && v !== "all") q.set(k, v);
    });
    var qs = q.toString();
    url = "/api/v1/explore" + (qs ? "?" + qs : "");
    pick = function (d) { return d.items && d.items.length ? d.items[0].thumbnail_url : null; };
  } else if ((m = /^\/image\/(\d{1,10})$/.exec(path))) {
    url = "/api/v1/images/" + m[1];
    pick = function (d) { return d.image ? d.image.display_url : null; };
  } else if ((m = /^\/u\/([a-z0-9_]{3,20})$/.exec(path))) {
    // A profile: only its newest picture, for the skeleton's first card (the LCP element).
    url = "/api/v1/users/" + m[1] + "/images?limit=1";
    pick = function (d) { return d.items && d.items.length ? d.items[0].thumbnail_url : null; };
  }
  if (!url) return;
  var src = null;
  var data = fetch(url, { credentials: "omit", headers: { Accept: "application/json" } })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (d) {
      src = d && pick(d);
      // An image page's HTML may hold it already (api/image_shell.py): nothing to add then.
      if (src && !document.getElementById("__STYLE_ID__")) {
        var l = document.createElement("link");
        l.rel = "preload"; l.as = "image"; l.href = src;
        l.setAttribute("fetchpriority", "high");
        document.head.appendChild(l);
        // The prerendered skeleton shows the first picture before React runs: the first card
        // of explore or a profile, or the image page's picture box (frontend_build.SHELLS).
        var s = document.createElement("style");
        s.id = "__STYLE_ID__";
        s.textContent = __CSS__;
        document.head.appendChild(s);
      }
      return d;
    })
    .catch(function () { return null; });
  // Settles once the first picture is in (or is not coming): the page's JavaScript waits for
  // it (frontend_build.BOOT_LOADER_JS), so the two do not share a phone's bandwidth. The same
  // URL as the preload: the browser answers it from that request.
  var picture = data.then(function () {
    return src && new Promise(function (done) {
      var img = new Image();
      img.onload = img.onerror = function () { done(null); };
      img.src = src;
    });
  });
  window.__psFirstPaint = { path: path, search: location.search, data: data, picture: picture };
})();
""".replace("__STYLE_ID__", FIRST_PICTURE_STYLE_ID).replace(
    "__CSS__", '"' + first_picture_css('" + JSON.stringify(src) + "') + '"'
)

# JS mapping from the API's JSON to the page's view data (state/image_cards.ImageCard and the
# image page's fields). Avatars are left to the socket (the API gives storage keys, not URLs):
# the avatar box has a fixed size, so its picture arriving later moves nothing.
_MAP_JS: dict[Kind, str] = {
    "explore": """(d) => (d && d.items ? d.items : []).map((c) => ({
        image_id: c.id, href: "/image/" + c.id, thumb: c.thumbnail_url, alt: c.prompt,
        width: c.width, height: c.height, private: false, like_count: c.like_count,
        comment_count: c.comment_count, creator: c.creator_username, creator_avatar: ""}))""",
    "image": """(d) => (d && d.image ? {url: d.image.display_url, thumb: d.image.thumbnail_url,
        width: d.image.width, height: d.image.height, prompt: d.image.prompt,
        title: d.image.title || d.image.prompt, creator: d.image.creator_username} : null)""",
}
_EMPTY: dict[Kind, str] = {"explore": "[]", "image": "null"}


DROP_EARLY_PICTURE_JS = f"document.getElementById('{FIRST_PICTURE_STYLE_ID}')?.remove()"


def drop_early_picture() -> EventSpec:
    """For a page's `on_mount` once its own data shows (a profile): the head script's early
    picture must not appear in a later page's skeleton after a client-side navigation."""
    return rx.call_script(DROP_EARLY_PICTURE_JS)


def first_paint_head() -> rx.Component:
    """The inline script for the app's head_components (runs during HTML parsing)."""
    return rx.el.script(
        custom_attrs={"dangerouslySetInnerHTML": {"__html": FIRST_PAINT_JS}},
    )


def first_paint_var(kind: Kind, var_type: Any) -> Var[Any]:
    """The prefill for this page, as a client-side Var (empty until the fetch resolves).

    Only taken when the tab was opened on this very address: after a client-side navigation
    the socket is already up, and its `on_load` is the quickest way."""
    name = f"ps_first_{kind}"
    setter = f"set_ps_first_{kind}"
    # Reflex puts a Var's hooks in every memoized component that renders it, so there may be
    # several copies of this state. The mapped prefill is kept once on the page's
    # `__psFirstPaint`, and a copy mounted after it arrived (the grid under a `cond`) starts
    # from it instead of from empty for a frame. The first copy, mounted by hydration, starts
    # empty like the prerendered HTML.
    mine = """(() => {
    const f = typeof window === "undefined" ? null : window.__psFirstPaint;  // prerender: none
    if (!f) return null;
    const path = window.location.pathname.replace(/\\/+$/, "") || "/";
    return f.path === path && f.search === window.location.search ? f : null;
})()"""
    hooks: dict[str, VarData | None] = {
        f"const [{name}, {setter}] = useState(() => {{ const f = {mine}; "
        f"return (f && f.mounted && f.mapped && f.mapped.{kind}) || {_EMPTY[kind]}; }})": None,
        f"""useEffect(() => {{
    const f = {mine};
    if (!f) return;
    f.mounted = true;
    let live = true;
    f.data.then((d) => {{
        if (!d) return;
        f.mapped = f.mapped || {{}};
        f.mapped.{kind} = f.mapped.{kind} || ({_MAP_JS[kind]})(d);
        if (live) {setter}(f.mapped.{kind});
        // Only for this first screen: a later skeleton (another query, another page) must
        // not show this picture.
        const early = document.getElementById("ps-first-pic");
        if (early) early.remove();
    }});
    return () => {{ live = false; }};
}}, [])""": None,
    }
    imports = {"react": [ImportVar(tag="useState"), ImportVar(tag="useEffect")]}
    return Var(
        _js_expr=name, _var_type=var_type, _var_data=VarData(hooks=hooks, imports=imports)
    ).guess_type()
