"""The OPC UA puller against a real asyncua server on loopback with historised meter variables."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from app.plants.opcua import MeterNode, OpcUaPullError, PullResult, pull_readings
from lca.plant.model import Line, Meter, Plant
from tests.servers import free_port

START = datetime(2026, 3, 2, tzinfo=UTC)
PLANT = Plant(
    "p",
    "site",
    "US-SRTV",
    "America/Chicago",
    (Line("L1"),),
    meters=(
        Meter("main", "electricity", "plant", cumulative=True, register_max=100000),
        Meter("gas", "natural_gas", "plant"),
    ),
)


# The plant's server runs in a process of its own, as a plant's would: an asyncua server started
# in this process after other tests ran the service's OPC UA jobs kept no history.
_SERVER = """
import asyncio, sys
from datetime import UTC, datetime, timedelta
from asyncua import Server, ua

START = datetime(2026, 3, 2, tzinfo=UTC)


async def write(node, value, at, status=0):
    await node.write_value(ua.DataValue(ua.Variant(value, ua.VariantType.Double),
        StatusCode=ua.StatusCode(status), SourceTimestamp=at, ServerTimestamp=at))


async def main(port):
    server = Server()
    await server.init()
    server.set_endpoint(f"opc.tcp://127.0.0.1:{port}/cellcarbon-test/")
    index = await server.register_namespace("urn:cellcarbon:test")
    meters = await server.nodes.objects.add_object(index, "Meters")
    register = await meters.add_variable(ua.NodeId("main", index), "main", 0.0)
    gas = await meters.add_variable(ua.NodeId("gas", index), "gas", 0.0)
    # keep every value whatever its age (the default keeps seven days back from now)
    await server.historize_node_data_change([register, gas], period=None, count=0)
    async with server:
        # an energy register in kWh that wraps at 100 000: 99 990 -> 99 998 -> 6 -> 20
        for hour, reading in enumerate([99990.0, 99998.0, 6.0, 20.0]):
            await write(register, reading, START + timedelta(hours=hour))
        # gas in m3 per hour, one value of bad quality
        await write(gas, 1.0, START)
        await write(gas, 2.0, START + timedelta(hours=1), ua.StatusCodes.BadSensorFailure)
        await write(gas, 3.0, START + timedelta(hours=2))
        # The history takes its values from a subscription of the server's own: ready once it
        # holds all seven (a client reading earlier, on a busy machine, found none).
        for _ in range(400):
            kept = [len(await node.read_raw_history(START - timedelta(minutes=1),
                                                    START + timedelta(hours=5)))
                    for node in (register, gas)]
            if kept == [4, 3]:
                break
            await asyncio.sleep(0.025)
        print(index, flush=True)
        await asyncio.sleep(60)


asyncio.run(main(int(sys.argv[1])))
"""


def _serve_and_pull(port: int) -> PullResult:
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(port)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        index = int(server.stdout.readline())
        return asyncio.run(
            pull_readings(
                f"opc.tcp://operator:s3cret@127.0.0.1:{port}/cellcarbon-test/",
                [
                    MeterNode("main", f"ns={index};s=main", "kWh"),
                    MeterNode("gas", f"ns={index};s=gas", "m^3"),
                ],
                PLANT,
                START - timedelta(minutes=1),
                START + timedelta(hours=5),
                interval_s=3600,
            )
        )
    finally:
        server.kill()
        server.wait(10)


def test_pull_historised_register_and_gas_meter() -> None:
    """Register: 8 + (100 000 − 99 998 + 6 = 8) + 14 = 30 kWh with one roll-over.
    Gas: 1 + 3 m³ = 4 m³ × 34.41 MJ/m³ (LHV, data/units/fuels.csv) = 137.6 MJ; the value with a
    bad status is left out and counted."""
    result = _serve_and_pull(free_port())
    assert result.series.total("main") == pytest.approx(30)
    assert len(result.report.rollovers) == 1
    assert result.series.total("gas") == pytest.approx(4 * 34.41, rel=1e-3)
    assert result.not_good == {"gas": 1}
    assert result.values_read == 6


def test_unreachable_server_is_an_error_without_the_password() -> None:
    url = f"opc.tcp://operator:s3cret@127.0.0.1:{free_port()}/nothing/"
    with pytest.raises(OpcUaPullError) as caught:
        asyncio.run(pull_readings(url, [], PLANT, START, START + timedelta(hours=1), timeout_s=2.0))
    assert "s3cret" not in str(caught.value) and "operator" not in str(caught.value)
