"""Where every path of the sandbox goes (moto's ``urls.py``): one route table per surface.

A route is ``(method, pattern, handler)``; the pattern is matched in full against the
path below the surface's prefix (see routing.py), and the handler is a method of the
surface's class, called with the request and the pattern's named groups. What holds for
every path of a surface (auth, rate limit, methods) is checked by its ``dispatch``
before the table is read. To add an endpoint: a route here, a handler in the surface's
module, and, if it reads something new, a method of the backend (backend.py) and the
query behind it (store.py).

OAuth (``/oauth/*``) is answered by ``OAuthServer.handle`` in oauth.py.
"""

from __future__ import annotations

import re

from .control import ControlApi
from .core.routing import RouteTable
from .direct import DirectApi
from .hub import HubApi
from .resources import BY_HUB_PATH

# Below /api/v3, trailing slashes dropped. The API is read-only: other methods answer 405.
DIRECT_ROUTES = RouteTable(
    ("GET", r"/me", DirectApi.me),
    ("GET", r"/users", DirectApi.users),
    ("GET", r"/groups", DirectApi.groups),
    ("GET", r"/touches", DirectApi.touches),
    ("GET", r"/send", DirectApi.sends),
    ("GET", r"/groups/(?P<group_id>[^/]*)/members", DirectApi.group_members),
    ("GET", r"/touches/(?P<touch_id>[^/]*)", DirectApi.touch),
    ("GET", r"/marketplace/products", DirectApi.marketplace_products),
)

_LISTS = "|".join(re.escape(path) for path in BY_HUB_PATH if path != "me")

# Below /elements/api-v2/hubs/rewards/, slashes at either end dropped. Read-only too.
HUB_ROUTES = RouteTable(
    ("GET", r"ping", HubApi.ping),
    ("GET", r"objects", HubApi.objects),
    ("GET", r"objects/(?:(?P<name>.*)/)?metadata", HubApi.object_metadata),
    ("GET", r"me", HubApi.me),
    ("GET", rf"(?P<hub_path>{_LISTS})", HubApi.records),
    ("GET", r"groups/(?P<group_id>[^/]*)/(?P<child>members|touches)", HubApi.group_records),
    ("GET", rf"(?P<hub_path>{_LISTS})/(?P<record_id>[0-9]{{1,18}})", HubApi.record),
)

# Below /_sandbox, trailing slashes dropped.
CONTROL_ROUTES = RouteTable(
    ("GET", r"/info", ControlApi.info),
    ("GET", r"/stats", ControlApi.stats),
    ("POST", r"/reset", ControlApi.reset),
    ("POST", r"/mutate", ControlApi.mutate),
    ("GET", r"/faults", ControlApi.list_faults),
    ("POST", r"/faults", ControlApi.add_faults),
    ("DELETE", r"/faults", ControlApi.clear_faults),
    ("GET", r"/latency", ControlApi.latency),
    ("POST", r"/latency", ControlApi.set_latency),
)
