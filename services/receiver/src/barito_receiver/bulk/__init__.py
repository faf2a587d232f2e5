"""The Elasticsearch-compatible bulk API, split by concern.

* :mod:`~barito_receiver.bulk.ndjson`: a bulk body into actions (pure).
* :mod:`~barito_receiver.bulk.credentials`: the app secret from the credentials ES clients send.
* :mod:`~barito_receiver.bulk.writer`: the actions' documents to the app's topic, per-item results.
* :mod:`~barito_receiver.bulk.responses`: Elasticsearch's response and error shapes.
* :mod:`~barito_receiver.bulk.probe`: what clients ask before their first bulk (``GET /``...).
* :mod:`~barito_receiver.bulk.route`: the route class every answer goes through.

The index a client names never routes anything: the app is the secret's.
"""
