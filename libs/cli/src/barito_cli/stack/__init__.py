"""The private local stack: real Kafka, Elasticsearch, OpenSearch and Postgres as processes."""
