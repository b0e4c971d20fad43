"""Benchmark: fetch 10,000 fictitious collaborators through PayfitClient from the loopback server.

The server enforces Payfit's read limit (50 requests/s per key, sliding 1-second window,
429 over it); the client paces itself at ``max_rps=50``. Progress lines go to stdout; the
LAST line is one JSON object: ``{"collaborators": n, "contracts": n, "requests": n,
"seconds": s, "requests_per_s": r, "rate_ratio": r / 50, "throttled_429": n,
"server_429": n, "collaborators_per_s": c}``. Targets: ``rate_ratio >= 0.8``, ``throttled_429 == 0``.

Usage: ``python bench/payfit_fetch.py [--collaborators 10000] [--rps 50]``
"""

from __future__ import annotations

import argparse
import json

from reconcile.sources.payfit_api import PayfitClient  # noqa: E402
from reconcile.testing.payfit_server import PayfitServer, fake_collaborators  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collaborators", type=int, default=10_000)
    parser.add_argument("--rps", type=float, default=50.0, help="the server's limit and the client's max_rps")
    args = parser.parse_args()
    collaborators = fake_collaborators(args.collaborators, seed=2026)
    contracts = sum(len(c["contracts"]) for c in collaborators)
    print(f"generated {len(collaborators)} collaborators with {contracts} contracts", flush=True)
    step = max(1, args.collaborators // 10)
    next_report = [step]

    def progress(done: int, total: int | None) -> None:
        if done >= next_report[0] or total is not None:
            print(f"  {done} collaborators received" + (" (done)" if total is not None else ""), flush=True)
            next_report[0] = done + step

    with (
        PayfitServer(collaborators, api_key="bench-key", company_id="bench-company", rate_limit_rps=args.rps) as server,
        PayfitClient("bench-key", api_url=server.url, oauth_url=server.oauth_url, max_rps=args.rps) as client,
    ):
        result = client.fetch_company(progress=progress)
        server_429 = server.throttled
    joined = sum(len(c["contracts"] or []) for c in result.collaborators)
    assert len(result.collaborators) == args.collaborators and joined == contracts
    rate = result.requests / result.seconds
    print(
        json.dumps(
            {
                "collaborators": len(result.collaborators),
                "contracts": joined,
                "requests": result.requests,
                "seconds": round(result.seconds, 3),
                "requests_per_s": round(rate, 2),
                "rate_ratio": round(rate / args.rps, 3),
                "throttled_429": result.throttled,
                "server_429": server_429,
                "collaborators_per_s": round(len(result.collaborators) / result.seconds, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
