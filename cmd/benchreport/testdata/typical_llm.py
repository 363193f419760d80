"""A typical LLM-written script: parse some records, aggregate, report.

Kept as a benchmark input (make bench): it imports what such scripts
import and does a little work with each module.
"""
import json
import re
import math
import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import List, Optional


@dataclass
class Order:
    id: int
    customer: str
    amount: float
    placed: datetime
    tags: List[str] = field(default_factory=list)
    note: Optional[str] = None


RAW = '[{"id": %d, "customer": "c%d", "amount": %d.5, "day": %d, "tags": ["a", "b%d"]}]'


def load() -> List[Order]:
    start = datetime(2026, 1, 1)
    orders = []
    for i in range(200):
        for rec in json.loads(RAW % (i, i % 7, i * 3, i % 28, i % 3)):
            orders.append(Order(rec["id"], rec["customer"], rec["amount"], start + timedelta(days=rec["day"]), rec["tags"]))
    return orders


def main() -> None:
    orders = load()
    by_customer = defaultdict(list)
    for o in orders:
        by_customer[o.customer].append(o.amount)
    totals = {c: round(sum(a), 2) for c, a in sorted(by_customer.items())}
    tags = Counter(itertools.chain.from_iterable(o.tags for o in orders))
    ids = [int(m) for m in re.findall(r"c(\d+)", " ".join(totals))]
    spread = math.sqrt(sum((t - sum(totals.values()) / len(totals)) ** 2 for t in totals.values()) / len(totals))
    print(json.dumps({"totals": totals, "tags": tags.most_common(3), "ids": ids, "spread": round(spread, 3)}))


if __name__ == "__main__":
    main()
