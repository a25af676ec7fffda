"""Run by test_train.py under torchrun: trains a few steps and checks the ranks agree after each."""

import json
import sys

import torch
import torch.distributed as dist

from train.config import TrainConfig
from train.train import train

data, out, report = sys.argv[1:4]
previous = {}


def check(step, G, D):
    flat = torch.cat([p.detach().flatten() for p in [*G.parameters(), *D.parameters()]])
    gathered = [torch.empty_like(flat) for _ in range(dist.get_world_size())]
    dist.all_gather(gathered, flat)
    if dist.get_rank() == 0:
        record = {"step": step, "world": len(gathered), "identical": all(torch.equal(gathered[0], g) for g in gathered),
                  "changed": "flat" not in previous or not torch.equal(previous["flat"], flat)}  # fmt: skip
        previous["flat"] = flat.clone()
        with open(report, "a") as f:
            f.write(json.dumps(record) + "\n")


cfg = TrainConfig(data=data, out=out, size=32, ngf=8, ndf=8, batch_size=2, epochs=1, epochs_decay=1,
                  checkpoint_every=100, sample_every=100, val_count=0)  # fmt: skip
train(cfg, on_step=check)
