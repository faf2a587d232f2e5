"""Alerting in the market: channels per app group, rules per app, and their history.

* :mod:`.channel_config` — what each kind of channel needs (pure checks);
* :mod:`.channels` — create, change and delete a group's channels, secrets sealed;
* :mod:`.channel_test` — "send test": a sample notification, delivered now;
* :mod:`.rules` — create, change and delete an app's rules, checked up front;
* :mod:`.specs` — rows into the specs an app's profile carries;
* :mod:`.history` — the transitions the server reports, stored once and paged;
* :mod:`.history_retention` — deleting history past its retention, hourly;
* :mod:`.views` — rows into the API's bodies.

Every change of a rule or a channel a rule uses republishes the profiles it
touches before the transaction commits: if Kafka does not take them the route
answers 503 and nothing changed (as for forward keys).
"""
