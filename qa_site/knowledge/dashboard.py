"""The coordinator's home in the admin (``/admin/``): the work waiting, queue by queue, with counts and links.

Each app says what waits in the queues it owns by registering a function with the Wagtail hook
``WORK_QUEUES_HOOK`` (``register_coordinator_work_queues``); the function takes the request and returns a list of
dicts, so an app below the core (``subscriptions``) registers without importing anything from here:

    {"label": "Triage queue", "count": 3, "url": "/admin/routing/triage/", "note": "…", "order": 10,
     "urgent": False}

``urgent`` marks a queue whose every item is late (breached questions, overdue invoices): any count in it is
emphasised; in the others a count from ``BIG`` on is. Each function counts with a fixed number of queries,
however much is waiting. The panel is added to Wagtail's dashboard for coordinators by this app's
``wagtail_hooks.py``.
"""

from dataclasses import dataclass

from wagtail import hooks
from wagtail.admin.ui.components import Component

WORK_QUEUES_HOOK = "register_coordinator_work_queues"
BIG = 10


@dataclass(frozen=True)
class WorkQueue:
    label: str
    count: int
    url: str
    note: str = ""
    order: int = 100
    urgent: bool = False

    @property
    def emphasised(self):
        return self.count > 0 and (self.urgent or self.count >= BIG)


def work_queues(request):
    """Every registered queue, in order."""
    queues = []
    for fn in hooks.get_hooks(WORK_QUEUES_HOOK):
        queues.extend(WorkQueue(**queue) for queue in fn(request))
    return sorted(queues, key=lambda queue: (queue.order, queue.label))


class WorkWaitingPanel(Component):
    name = "work_waiting"
    order = 10  # before Wagtail's own panels
    template_name = "knowledge/admin/work_waiting_panel.html"

    def __init__(self, request):
        self.request = request

    def get_context_data(self, parent_context=None):
        queues = work_queues(self.request)
        return {"queues": queues, "nothing_waiting": not any(queue.count for queue in queues)}
