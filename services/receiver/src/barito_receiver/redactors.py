"""Each app's redaction rules, compiled once per change of its profile.

The registry replaces an app's profile when the market republishes it, so
the rules a request sees are those of the profile it authenticated with;
a change reaches the next request. Compiling RE2 patterns costs
milliseconds, far more than redacting a request, so the compiled
:class:`Redactor` is kept per app and rebuilt only when the rules differ.

A rule that does not compile should never reach a profile: the market
compiles every rule before saving it. If one does (a receiver older or newer
than the market, a hand-written profile), the app's events are refused with
503 naming the rule rather than written: applying the other rules would
store whatever the broken one was meant to hide, and dropping the events
would lose them silently. A 503 keeps them at the client, which retries,
until the rule is fixed; the error is logged once per change of the rules.
"""

from __future__ import annotations

import logging

from barito_common.chunk_codec import Event
from barito_common.errors import ApiError
from barito_common.redaction import BadRedactionRule, RedactionRuleSpec, Redactor, compile_redactor
from barito_common.schemas import AppProfile

__all__ = ["Redactors"]

log = logging.getLogger(__name__)

_RETRY_AFTER_S = 30


class Redactors:
    """The compiled redactor of each app that has rules."""

    def __init__(self) -> None:
        self._compiled: dict[str, tuple[list[RedactionRuleSpec], Redactor | BadRedactionRule]] = {}

    def redact(self, app: AppProfile, events: list[Event], *, source: bytes | None = None) -> None:
        """Apply the app's rules to ``events`` in place; 503 if a rule cannot be applied.

        ``source``: the JSON body the events' records were decoded from, if any
        (see ``Redactor.apply_all``).
        """
        rules = app.redaction_rules
        if not rules:
            return
        # Anything but a dict is refused by the chunk codec a moment later.
        records = [event.record for event in events if type(event.record) is dict]
        self._for(app, rules).apply_all(records, source=source)

    def _for(self, app: AppProfile, rules: list[RedactionRuleSpec]) -> Redactor:
        cached = self._compiled.get(app.app_id)
        if cached is not None and cached[0] is rules:
            compiled = cached[1]
        elif cached is not None and cached[0] == rules:  # the same rules republished
            compiled = cached[1]
            # Holding this very list keeps the identity check above valid for it.
            self._compiled[app.app_id] = (rules, compiled)
        else:
            compiled = self._compile(app, rules)
            self._compiled[app.app_id] = (rules, compiled)
        if isinstance(compiled, BadRedactionRule):
            raise ApiError(
                503,
                f"The {compiled}. The receiver cannot apply it, so app '{app.slug}' "
                "logs are refused rather than stored unredacted; an owner of the app must "
                "fix or delete the rule, then retry.",
                headers={"Retry-After": str(_RETRY_AFTER_S)},
            )
        return compiled

    def _compile(
        self, app: AppProfile, rules: list[RedactionRuleSpec]
    ) -> Redactor | BadRedactionRule:
        try:
            return compile_redactor(rules)
        except BadRedactionRule as err:
            log.error(
                "An app's redaction rule cannot be applied; its logs are refused until fixed.",
                extra={"ctx": {"app": app.slug, "rule": err.rule_name, "error": str(err)}},
            )
            return err
