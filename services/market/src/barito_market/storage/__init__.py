"""Storage quotas per app group: the limit, what the group's indices hold, enforcement.

* :mod:`.quota` — the limit: a superadmin's, else the sum of the group's live
  apps' capacity templates' ``storage_quota``;
* :mod:`.usage` — the group's apps' own daily indices on the engines that
  hold its logs, and their bytes (primary shards: one copy);
* :mod:`.enforcement` — over the limit, the oldest daily indices are dropped
  first, never today's (UTC);
* :mod:`.notice` — at 80 % the group's alert channels are told, once;
* :mod:`.checks` — one pass over every group, and the loop that runs it;
* :mod:`.views` — the body of ``/api/v1/groups/{slug}/storage``.
"""
