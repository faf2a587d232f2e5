"""OTLP logs: ``decode`` (protobuf, OTLP/JSON), ``events`` (records as events: the field layout),
``flatten`` (attributes), ``ingest`` (a request to Kafka) and ``response`` (the answers)."""
