"""The OPC UA puller against a real asyncua server on loopback with historised meter variables."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from asyncua import Server, ua  # the optional ``plant`` extra, installed with ``dev``

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


async def _serve_and_pull(port: int) -> PullResult:
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
        # an energy register in kWh that wraps at 100 000: 99 990 → 99 998 → 6 → 20
        for hour, reading in enumerate([99990.0, 99998.0, 6.0, 20.0]):
            await _write(register, reading, START + timedelta(hours=hour))
        # gas in m³ per hour, one value of bad quality
        await _write(gas, 1.0, START)
        await _write(gas, 2.0, START + timedelta(hours=1), ua.StatusCodes.BadSensorFailure)
        await _write(gas, 3.0, START + timedelta(hours=2))
        result = await pull_readings(
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
    return result


async def _write(node: object, value: float, at: datetime, status: int = 0) -> None:
    await node.write_value(  # type: ignore[attr-defined]
        ua.DataValue(
            ua.Variant(value, ua.VariantType.Double),
            StatusCode=ua.StatusCode(status),
            SourceTimestamp=at,
            ServerTimestamp=at,
        )
    )


def test_pull_historised_register_and_gas_meter() -> None:
    """Register: 8 + (100 000 − 99 998 + 6 = 8) + 14 = 30 kWh with one roll-over.
    Gas: 1 + 3 m³ = 4 m³ × 34.41 MJ/m³ (LHV, data/units/fuels.csv) = 137.6 MJ; the value with a
    bad status is left out and counted."""
    result = asyncio.run(_serve_and_pull(free_port()))
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
