"""Registration: `/<service> register` for every switched-on service, its private form, and the
Renew button under warnings (registered here, by the extension that opens the form).

- `_cog.py`: the command groups and submits of forms opened before a restart;
- `_form.py`: the form, validation, the call to useapi.net and the answers;
- `_renew.py`: the Renew button (a DynamicItem, so it outlives restarts);
- `_embeds.py`: what a registration looks like.
"""

from __future__ import annotations

from cogs.register._cog import RegisterCog, ServiceGroup, setup, teardown
from cogs.register._form import open_register_modal, submit_registration
from cogs.register._renew import RenewButton, renew_view

__all__ = [
    "RegisterCog",
    "RenewButton",
    "ServiceGroup",
    "open_register_modal",
    "renew_view",
    "setup",
    "submit_registration",
    "teardown",
]
