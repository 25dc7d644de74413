"""`python -m examples.tell_us_once [--deaths N] [--kill ORGANISATION] [--quiet]` (`make demo`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time

from bus.errors import GovbusError
from bus.localkafka import LocalKafka
from bus.settings import Settings
from examples.tell_us_once.arrivals import percentile
from examples.tell_us_once.scenario import ORGANISATIONS, TellUsOnce


async def scenario(bootstrap: str, args: argparse.Namespace) -> bool:
    async with TellUsOnce(bootstrap) as tuo:
        print(f"legacy systems and {len(ORGANISATIONS)} govbus processes are up ({tuo.workdir})")
        for org, port in tuo.health_ports.items():
            print(f"  {org:<8} status page http://127.0.0.1:{port}/  metrics :{port}/metrics")
        started = time.monotonic()
        print(f"registering {args.deaths} deaths and 1 change of address at the register office")
        tuo.register_deaths(args.deaths)
        tuo.record_address_change()
        if args.kill:
            await tuo.watch(timeout_s=1.0, print_each=not args.quiet)
            print(f"SIGKILL the {args.kill} adapter mid-scenario, then start it again")
            await tuo.kill_adapter(args.kill)
            await tuo.start_adapter(args.kill)
        await tuo.watch(timeout_s=60 + args.deaths * 0.2, print_each=not args.quiet)
        elapsed = time.monotonic() - started
        print("\nsummary (time from registration to arrival):")
        print("\n".join(tuo.summary()))
        delays = sorted(tuo.latencies())
        print(
            f"\n{len(delays)} notifications in {elapsed:.1f} s; end to end "
            f"p50 {percentile(delays, 50):.2f} s, p99 {percentile(delays, 99):.2f} s"
        )
        ok = tuo.arrivals.exactly_once()
        print("every notification reached every system exactly once" if ok else "FAILED")
        return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deaths", type=int, default=20, help="deaths to register (default 20)")
    parser.add_argument("--kill", choices=ORGANISATIONS, help="SIGKILL this adapter mid-run")
    parser.add_argument("--quiet", action="store_true", help="print the summary only")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    cluster = LocalKafka(Settings())
    try:
        up = cluster.up(nodes=1, report=print)
    except GovbusError as exc:
        print(f"govbus: {exc}", file=sys.stderr)
        return 1
    try:
        ok = asyncio.run(scenario(up.bootstrap, args))
    finally:
        if up.started_nodes:
            print(cluster.down())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
