"""The market's Kafka consumers: what the data path and the provisioner report back.

* :mod:`.usage` — ``barito.usage`` (receiver and flow reports) into per-minute roll-ups;
* :mod:`.dead_letters` — ``barito.logs.dlq`` into each minute's dead-lettered count;
* :mod:`.provisioning_events` — ``barito.provisioning.events`` into infrastructure
  and component states and the provisioning timeline;
* :mod:`.alert_events` — ``barito.alerts.events`` into the alert history;
* :mod:`.runner` — one :class:`barito_common.kafka.ConsumeLoop` per topic, each
  in its own group (``barito-market-usage`` …), started and stopped by the
  market's lifespan.

Each topic module turns one decoded payload into a database change and says
what happened (a :class:`~barito_market.consumers.outcome.Outcome`); the
loop does the Kafka I/O, decoding, retries, dead letters and offset commits
(architecture §2).
"""
