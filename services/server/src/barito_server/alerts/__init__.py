"""Alert rules evaluated on the apps' live streams (issue 22).

Split by responsibility:

* ``ownership`` — which apps this replica evaluates (consumer group ``<prefix>alerts``);
* ``state_log`` — rule states and transitions on ``alerts.state`` / ``alerts.events``;
* ``app_stream`` — reading an app's topic from the end at takeover;
* ``sliding_window`` and ``rule_evaluator`` — the conditions, pure;
* ``app_evaluation`` — one app's rules following its profile;
* ``notifier`` — delivering each transition exactly once per notification id;
* ``service`` — all of it, started from the server's lifespan.
"""

from barito_server.alerts.service import AlertService

__all__ = ["AlertService"]
