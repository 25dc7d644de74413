"""`python -m examples.tell_us_once [--deaths N] [--kill ORGANISATION] [--quiet]` (`make demo`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time

from bus.broker.local import LocalKafka
from bus.foundation.errors import GovbusError
from bus.foundation.settings import Settings
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
        return tuo.conclude(time.monotonic() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deaths", type=int, default=20, help="deaths to register (default 20)")
    parser.add_argument("--kill", choices=ORGANISATIONS, help="SIGKILL this adapter mid-run")
    parser.add_argument("--quiet", action="store_true", help="print the summary only")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    try:
        with LocalKafka(Settings()).running(nodes=1, report=print) as up:
            ok = asyncio.run(scenario(up.bootstrap, args))
    except GovbusError as exc:
        print(f"govbus: {exc}", file=sys.stderr)
        return 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
