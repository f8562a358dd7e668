"""What a service's register form asks for, and what a validated submit becomes.

A service module lists its `FormField`s; the register cog turns them into a Discord modal
(each input wrapped in a Label with its description), and the service's `parse_form` turns the
submitted text into a `Submission`: the JSON body for useapi.net and the values that must be
scrubbed from anything that could be logged or shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Discord's limits for modal components (Label text 45, description 100, text input 4000, a
# modal's top-level components 5, a Text Display's content 4000: a service's `form_intro`).
LABEL_LIMIT = 45
DESCRIPTION_LIMIT = 100
TEXT_INPUT_LIMIT = 4000
MODAL_COMPONENT_LIMIT = 5
TEXT_DISPLAY_LIMIT = 4000


@dataclass(frozen=True)
class FormField:
    """One input of a register form. `id` is the component's custom_id and the key `parse_form` reads."""

    id: str
    label: str
    description: str  # tells a person where to find the value
    placeholder: str | None = None
    paragraph: bool = False
    min_length: int | None = None
    max_length: int | None = None
    required: bool = True
    # A select with these options (value, label) instead of a text input.
    options: tuple[tuple[str, str], ...] = ()
    # False for what is shown back on purpose (an account's email): everything else typed into a
    # register form is treated as a password (the tests' secret sweep looks for it everywhere).
    secret: bool = True

    def __post_init__(self) -> None:
        # Caught at import time, not when a member opens the form and Discord answers 400.
        if len(self.label) > LABEL_LIMIT or len(self.description) > DESCRIPTION_LIMIT:
            raise ValueError(f"form field {self.id!r}: label or description over Discord's limit")
        if self.max_length is not None and self.max_length > TEXT_INPUT_LIMIT:
            raise ValueError(f"form field {self.id!r}: max_length over Discord's {TEXT_INPUT_LIMIT}")


@dataclass(frozen=True)
class Submission:
    """A validated register form: the body to POST, and the secrets it holds (kept out of logs)."""

    body: dict[str, Any] = field(repr=False)
    secrets: tuple[str, ...] = field(repr=False)
