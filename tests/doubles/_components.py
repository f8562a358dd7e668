"""What Discord accepts as a message's content, flags and components, for the Discord double.

`message_problem(body, existing=None)` is the error entry Discord gives (400 Invalid Form Body,
code 50035) for a create body (or, with `existing`, an edit of that message) it refuses, or None.
Checked against Discord's docs (components reference; "Create Message" and "Edit Message" in
the message resource) and discord.py 2.7.1's LayoutView (40 components, 4000 characters):

- IS_COMPONENTS_V2 (`1 << 15`): the message holds only components. `content`, `embeds`,
  `sticker_ids` and `poll` must be absent or empty, on a create and after an edit. The flag can be
  set by an edit (the old content and embeds then cleared in the same edit), never removed (an edit
  leaving it out keeps it). At most 40 components, counted at every depth (a container, each of
  its children, a section's accessory, each button of a row); the text displays hold at most 4000
  characters together.
- Without it: `content` at most 2000 characters; at most 5 top-level components, each an action
  row; the components only v2 messages may hold (section, text display, thumbnail, media gallery,
  file, separator, container) are refused.
- Either way: an action row holds 1-5 buttons, or exactly one select; a button has a label of at
  most 80 characters and a custom_id of 1-100 (a link button a url instead); custom_ids and
  component ids are unique in the message. A container holds action rows, text displays,
  sections, media galleries, separators and files, with an accent colour from 0 to 0xFFFFFF; a
  section 1-3 text displays and one accessory (a button or a thumbnail); a separator's spacing
  is 1 or 2; a message holds at most 10 embeds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

IS_COMPONENTS_V2 = 1 << 15
MAX_COMPONENTS_V2 = 40  # in all, at every depth
MAX_TEXT_V2 = 4000  # characters of every text display together
MAX_TOP_LEVEL_LEGACY = 5
MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_BUTTONS_PER_ROW = 5
MAX_LABEL = 80
MAX_CUSTOM_ID = 100
MAX_ACCENT = 0xFFFFFF

ACTION_ROW, BUTTON, TEXT_INPUT = 1, 2, 4
SELECTS = frozenset({3, 5, 6, 7, 8})
SECTION, TEXT_DISPLAY, THUMBNAIL, MEDIA_GALLERY, FILE, SEPARATOR, CONTAINER = 9, 10, 11, 12, 13, 14, 17
V2_ONLY = frozenset({SECTION, TEXT_DISPLAY, THUMBNAIL, MEDIA_GALLERY, FILE, SEPARATOR, CONTAINER})
TOP_LEVEL = frozenset({ACTION_ROW, SECTION, TEXT_DISPLAY, MEDIA_GALLERY, FILE, SEPARATOR, CONTAINER})
IN_CONTAINER = frozenset({ACTION_ROW, TEXT_DISPLAY, SECTION, MEDIA_GALLERY, SEPARATOR, FILE})
LINK_STYLE, PREMIUM_STYLE = 5, 6


class Problem(NamedTuple):
    """Where in the body, Discord's error code for it, and a sentence."""

    path: str
    code: str
    message: str

    def body(self) -> dict[str, Any]:
        """The JSON Discord answers with (HTTP 400)."""
        return {
            "message": "Invalid Form Body",
            "code": 50035,
            "errors": {self.path: {"_errors": [{"code": self.code, "message": self.message}]}},
        }


def walk(components: Any) -> Iterator[dict[str, Any]]:
    """Every component at every depth: children, a section's accessory, a label's component."""
    for component in components if isinstance(components, list) else []:
        if not isinstance(component, dict):
            continue
        yield component
        yield from walk(component.get("components"))
        for inner in ("accessory", "component"):
            if isinstance(component.get(inner), dict):
                yield from walk([component[inner]])


def count_components(components: Any) -> int:
    return sum(1 for _ in walk(components))


def text_length(components: Any) -> int:
    return sum(len(c.get("content") or "") for c in walk(components) if c.get("type") == TEXT_DISPLAY)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def message_problem(body: dict[str, Any], existing: dict[str, Any] | None = None) -> Problem | None:
    """Why Discord would refuse this create (or, with `existing`, this edit), or None."""
    flags = int(body.get("flags") or 0)
    if existing is not None:
        flags |= int(existing.get("flags") or 0) & IS_COMPONENTS_V2  # never removed by an edit
    after = dict(existing or {})
    after.update(
        {k: v for k, v in body.items() if k in ("content", "embeds", "components", "sticker_ids", "poll")}
    )
    components = after.get("components") or []
    if flags & IS_COMPONENTS_V2:
        for legacy in ("content", "embeds", "sticker_ids", "poll"):
            if not _empty(after.get(legacy)):
                return Problem(
                    legacy,
                    "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                    f"{legacy} cannot be used when IS_COMPONENTS_V2 is set",
                )
        count = count_components(components)
        if count > MAX_COMPONENTS_V2:
            return Problem(
                "components",
                "COMPONENT_MAX_TOTAL_COMPONENTS_EXCEEDED",
                f"a message holds at most {MAX_COMPONENTS_V2} components ({count} sent)",
            )
        characters = text_length(components)
        if characters > MAX_TEXT_V2:
            return Problem(
                "components",
                "COMPONENT_MAX_TEXT_LENGTH_EXCEEDED",
                f"text displays hold at most {MAX_TEXT_V2} characters together ({characters} sent)",
            )
    else:
        content = after.get("content")
        if isinstance(content, str) and len(content) > MAX_CONTENT:
            return Problem("content", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_CONTENT} or fewer in length.")
        if len(components) > MAX_TOP_LEVEL_LEGACY:
            return Problem(
                "components", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_TOP_LEVEL_LEGACY} or fewer in length."
            )
        for index, component in enumerate(components):
            if isinstance(component, dict) and component.get("type") != ACTION_ROW:
                return Problem(
                    f"components.{index}",
                    "COMPONENT_LAYOUT_V2_REQUIRED"
                    if component.get("type") in V2_ONLY
                    else "UNION_TYPE_CHOICES",
                    "without IS_COMPONENTS_V2 a message holds action rows only",
                )
    embeds = after.get("embeds") or []
    if len(embeds) > MAX_EMBEDS:
        return Problem("embeds", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_EMBEDS} or fewer in length.")
    return _tree_problem(components)


def _tree_problem(components: list[Any]) -> Problem | None:
    for index, component in enumerate(components):
        kind = component.get("type") if isinstance(component, dict) else None
        if kind not in TOP_LEVEL:
            return Problem(
                f"components.{index}", "UNION_TYPE_CHOICES", f"type {kind!r} is not a top-level component"
            )
        problem = _component_problem(component, f"components.{index}")
        if problem is not None:
            return problem
    custom_ids: set[str] = set()
    ids: set[int] = set()
    for component in walk(components):
        custom_id, number = component.get("custom_id"), component.get("id")
        if custom_id is not None:
            if custom_id in custom_ids:
                return Problem(
                    "components", "COMPONENT_CUSTOM_ID_DUPLICATED", f"custom_id {custom_id!r} is used twice"
                )
            custom_ids.add(custom_id)
        if number not in (None, 0):
            if number in ids:
                return Problem(
                    "components", "COMPONENT_ID_DUPLICATED", f"component id {number} is used twice"
                )
            ids.add(number)
    return None


def _component_problem(component: dict[str, Any], path: str) -> Problem | None:
    kind = component.get("type")
    children = component.get("components")
    if kind == ACTION_ROW:
        if not isinstance(children, list) or not children:
            return Problem(path, "BASE_TYPE_REQUIRED", "an action row holds 1-5 buttons or one select")
        kinds = [c.get("type") if isinstance(c, dict) else None for c in children]
        if all(k == BUTTON for k in kinds):
            if len(children) > MAX_BUTTONS_PER_ROW:
                return Problem(path, "BASE_TYPE_MAX_LENGTH", "an action row holds at most 5 buttons")
        elif not (len(children) == 1 and kinds[0] in SELECTS):
            return Problem(
                path, "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "an action row holds buttons or one select"
            )
        for index, child in enumerate(children):
            if child.get("type") == BUTTON:
                problem = _button_problem(child, f"{path}.components.{index}")
                if problem is not None:
                    return problem
    elif kind == CONTAINER:
        if not isinstance(children, list) or not children:
            return Problem(path, "BASE_TYPE_REQUIRED", "a container holds at least one component")
        accent = component.get("accent_color")
        if accent is not None and not (isinstance(accent, int) and 0 <= accent <= MAX_ACCENT):
            return Problem(path, "NUMBER_TYPE_MAX", "accent_color is 0 to 0xFFFFFF")
        for index, child in enumerate(children):
            if not isinstance(child, dict) or child.get("type") not in IN_CONTAINER:
                return Problem(
                    f"{path}.components.{index}", "UNION_TYPE_CHOICES", "not allowed in a container"
                )
            problem = _component_problem(child, f"{path}.components.{index}")
            if problem is not None:
                return problem
    elif kind == SECTION:
        if not isinstance(children, list) or not 1 <= len(children) <= 3:
            return Problem(path, "BASE_TYPE_BAD_LENGTH", "a section holds 1-3 text displays")
        if any(not isinstance(c, dict) or c.get("type") != TEXT_DISPLAY for c in children):
            return Problem(path, "UNION_TYPE_CHOICES", "a section holds text displays")
        accessory = component.get("accessory")
        if not isinstance(accessory, dict) or accessory.get("type") not in (BUTTON, THUMBNAIL):
            return Problem(path, "BASE_TYPE_REQUIRED", "a section needs a button or thumbnail accessory")
        for index, child in enumerate(children):
            problem = _component_problem(child, f"{path}.components.{index}")
            if problem is not None:
                return problem
        if accessory.get("type") == BUTTON:
            return _button_problem(accessory, f"{path}.accessory")
    elif kind == TEXT_DISPLAY:
        content = component.get("content")
        if not isinstance(content, str) or not content:
            return Problem(path, "BASE_TYPE_REQUIRED", "a text display needs content")
    elif kind == SEPARATOR:
        if component.get("spacing", 1) not in (1, 2):
            return Problem(path, "BASE_TYPE_CHOICES", "a separator's spacing is 1 or 2")
    return None


def _button_problem(button: dict[str, Any], path: str) -> Problem | None:
    label = button.get("label")
    if label is not None and (not isinstance(label, str) or len(label) > MAX_LABEL):
        return Problem(path, "BASE_TYPE_MAX_LENGTH", f"a button label is at most {MAX_LABEL} characters")
    style = button.get("style")
    if style == LINK_STYLE:
        if not button.get("url") or button.get("custom_id") is not None:
            return Problem(path, "BUTTON_COMPONENT_URL_REQUIRED", "a link button has a url and no custom_id")
        return None
    if style == PREMIUM_STYLE:
        return None
    custom_id = button.get("custom_id")
    if not isinstance(custom_id, str) or not 1 <= len(custom_id) <= MAX_CUSTOM_ID:
        return Problem(
            path, "BUTTON_COMPONENT_CUSTOM_ID_REQUIRED", "a button needs a custom_id of 1-100 characters"
        )
    return None
