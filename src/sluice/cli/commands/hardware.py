"""``sluice hardware``: the CPU, memory and GPUs models run on, and in what precision."""

from __future__ import annotations

import typer

from sluice.cli.main import JsonOpt, state
from sluice.cli.output import kv, out, print_json, table


def hardware(as_json: JsonOpt = False) -> None:
    """Show the CPU and its vector features, memory, the GPUs torch sees, the device
    SLUICE_DEVICE resolves to and each loaded model's device and precision (the server's,
    with --url)."""
    s = state(as_json)
    report = s.client().system.hardware()
    if s.json:
        return print_json(report)
    cpu, device = report.cpu, report.device
    kv([("CPU", f"{cpu.model} ({cpu.cores} cores)"),
        ("features", ", ".join(cpu.features) or "no AVX2 or wider"),
        ("memory", f"{cpu.memory_gib} GiB"),
        ("torch", f"{report.torch} (CUDA {report.cuda or 'none: a CPU build'})"),
        ("device", f"{device.resolved or 'unavailable'} (SLUICE_DEVICE={device.wanted})"),
        ("16-bit", device.half or "none native here"),
        ("threads", device.torch_threads),
        ("embedding", f"precision {device.embed_precision}, batches of "
                      f"{device.embed_batch_size}")])
    if device.error:
        out.print(f"[red]{device.error}[/]", highlight=False)
    if report.gpus:
        table("GPUs", ["#", "name", "memory GiB", "bf16"],
              [[g.index, g.name, g.memory_gib, "yes" if g.bf16 else "no"] for g in report.gpus])
    else:
        out.print("No GPU: models run on the CPU.")
    if report.models:
        table("Loaded models", ["kind", "name", "device", "precision"],
              [[m.kind, m.name, m.device, m.precision] for m in report.models])
    return None


def add_commands(root: typer.Typer) -> None:
    root.command()(hardware)
