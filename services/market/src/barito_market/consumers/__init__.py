"""The market's Kafka consumers: what the data path and the provisioner report back.

* :mod:`.usage` — ``barito.usage`` (receiver and flow reports) into per-minute roll-ups;
* :mod:`.dead_letters` — ``barito.logs.dlq`` into each minute's dead-lettered count;
* :mod:`.provisioning_events` — ``barito.provisioning.events`` into infrastructure
  and component states and the provisioning timeline;
* :mod:`.runner` — one consumer per topic (group ``barito-market``), started
  and stopped by the market's lifespan.

Each topic module turns one record's bytes into a database change and says
what happened (a :class:`~barito_market.consumers.outcome.Outcome`); the
runner does the Kafka I/O, retries and offset commits.
"""
