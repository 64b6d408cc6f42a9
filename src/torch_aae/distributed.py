"""Data-parallel training under ``torchrun`` (gloo on CPU, nccl on GPU).

Every rank holds the whole model and draws the same global batch of indices and prior samples
(same seeds); rank r trains on rows r, r + W, r + 2W, ... of it. Before every optimizer step
the gradients are averaged over ranks, so each update equals the single-process update on the
global batch: ``train.batch_size`` keeps its meaning whatever the number of processes. (The
gradient averaging is done per optimizer rather than by wrapping the networks in
``DistributedDataParallel``, whose per-forward bookkeeping cannot follow the AAE's alternating
phases, in which the discriminator is frozen during the generator step.)
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1
    device: str = "cpu"  # where tensors for collectives live (cuda under nccl)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    def shard(self, t: torch.Tensor | None) -> torch.Tensor | None:
        """This rank's rows of a global batch."""
        return t if t is None or not self.enabled else t[self.rank :: self.world_size]


def init_distributed(device: torch.device) -> DistInfo:
    """Join the process group that ``torchrun`` describes in the environment, if any."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return DistInfo()
    if not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return DistInfo(dist.get_rank(), dist.get_world_size(), str(device))


def local_device(device: torch.device) -> torch.device:
    """The CUDA device of this rank (``LOCAL_RANK``); other devices unchanged."""
    if device.type == "cuda" and "LOCAL_RANK" in os.environ:
        return torch.device("cuda", int(os.environ["LOCAL_RANK"]))
    return device


def average_gradients_before_step(optimizer: torch.optim.Optimizer, world_size: int) -> None:
    """Register a hook that all-reduces (averages) the optimizer's gradients before each step."""

    def hook(opt, args, kwargs):
        grads = [p.grad for g in opt.param_groups for p in g["params"] if p.grad is not None]
        if grads:
            flat = torch.cat([g.reshape(-1) for g in grads])
            dist.all_reduce(flat)
            flat /= world_size
            offset = 0
            for g in grads:
                g.copy_(flat[offset : offset + g.numel()].view_as(g))
                offset += g.numel()

    optimizer.register_step_pre_hook(hook)


def broadcast_parameters(module: torch.nn.Module) -> None:
    """Make every rank start from rank 0's weights."""
    for tensor in module.state_dict().values():
        dist.broadcast(tensor, src=0)


def any_rank(flag: bool, info: DistInfo) -> bool:
    """True on every rank if ``flag`` is True on any rank (used to stop all ranks together)."""
    if not info.enabled:
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=info.device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def max_weight_difference(module: torch.nn.Module, info: DistInfo) -> float:
    """Largest |w_rank - w_rank0| over all weights and ranks (0.0 when ranks agree)."""
    if not info.enabled:
        return 0.0
    worst = torch.zeros(1, device=info.device)
    for tensor in module.state_dict().values():
        ref = tensor.detach().clone()
        dist.broadcast(ref, src=0)
        worst = torch.maximum(worst, (tensor.detach() - ref).abs().max().reshape(1).float())
    dist.all_reduce(worst, op=dist.ReduceOp.MAX)
    return float(worst.item())


def average_scalars(values: dict[str, float], info: DistInfo) -> dict[str, float]:
    """Mean of each scalar over ranks (epoch losses for the log)."""
    if not info.enabled or not values:
        return values
    keys = sorted(values)
    t = torch.tensor([float(values[k]) for k in keys], device=info.device, dtype=torch.float64)
    dist.all_reduce(t)
    return {k: float(v) / info.world_size for k, v in zip(keys, t.tolist(), strict=True)}


def leave_process_group(info: DistInfo) -> None:
    """After the last collective: wait for every rank, then tear the process group down, so no
    rank exits while another still talks to it. (A gloo worker thread may still release the last
    collective's tensors just after this returns; ``aae train`` therefore ends ranks other than
    0 with ``os._exit``, skipping the interpreter shutdown that such a release can abort.)"""
    if info.enabled and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
