"""An app's redaction rules in the market: what the receiver removes or masks before Kafka.

* :mod:`.specs` — the rules as the app keeps them (``App.redaction_rules``)
  and as the API shows them;
* :mod:`.checks` — a rule's shape for its kind, then compiled as the
  receiver compiles it (pure checks, 422 naming the field at fault);
* :mod:`.rules` — create, change, reorder and delete, each audited and
  published on the app's profile before the transaction commits.

The rules live on the app's row as one ordered list, not in a table of their
own: every publication of the profile carries the whole list, so a receiver
(even one started while the market is down) holds exactly the order kept.
"""
