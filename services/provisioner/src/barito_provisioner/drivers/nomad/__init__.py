"""The ``nomad`` driver: rendered Nomad jobs, submitted and polled through python-nomad."""
