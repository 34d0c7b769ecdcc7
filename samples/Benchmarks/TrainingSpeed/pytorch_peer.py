"""PyTorch's epoch times for the training-speed benchmark: the same network, rows, batch size, optimizer and thread
count as the .NET side, so the two can be compared within one run. The benchmark starts this script only when
PyTorch is installed; nothing in the library or its tests needs Python.

Protocol (the .NET side follows the same one): one untimed warm-up epoch of fp32 training from a fresh network, one
timed fp32 epoch, then one timed epoch of quantization-aware training (FX graph mode, per-channel int8 weights,
uint8 activations, Conv+BN(+ReLU) fused) starting from those weights. Prints one JSON object on stdout.
"""
import argparse
import json
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
        self.relu2 = nn.ReLU()

    def forward(self, x):
        y = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        return self.relu2(y + (x if self.down is None else self.down(x)))


class ResNet20(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU())
        blocks, cin = [], width
        for stage in range(3):
            w = width << stage
            for block in range(3):
                blocks.append(BasicBlock(cin, w, 2 if stage > 0 and block == 0 else 1))
                cin = w
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.blocks(self.stem(x))), 1))


def train_epoch(model, optimizer, x, y, batch, seed):
    model.train()
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    start = time.perf_counter()
    for b in range(0, len(y), batch):
        idx = order[b:b + batch]
        if len(idx) < 2:
            break
        optimizer.zero_grad()
        logits = model(x[idx])
        loss = F.cross_entropy(logits, y[idx])
        loss.backward()
        optimizer.step()
        loss.item()  # the .NET loop reads the loss every step too
    return time.perf_counter() - start


def sgd(model, lr):
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=5e-4)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--network", choices=["lenet5", "resnet20"], required=True)
    p.add_argument("--features", required=True, help="float32 rows, row-major [rows, 1, 28, 28]")
    p.add_argument("--labels", required=True, help="int64 labels")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--qat-lr", type=float, default=0.01)
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    y = torch.from_numpy(np.fromfile(a.labels, dtype=np.int64))
    x = torch.from_numpy(np.fromfile(a.features, dtype=np.float32)).reshape(len(y), 1, 28, 28)
    model = lenet5() if a.network == "lenet5" else ResNet20()
    optimizer = sgd(model, a.lr)
    warm = train_epoch(model, optimizer, x, y, a.batch, 1)
    fp32 = train_epoch(model, optimizer, x, y, a.batch, 2)

    from torch.ao.quantization import get_default_qat_qconfig_mapping
    from torch.ao.quantization.quantize_fx import prepare_qat_fx
    model.train()
    # fbgemm's QAT configuration: per-channel weights and fused observer + fake-quant kernels; only conversion (not
    # done here) needs the fbgemm engine, which Debian's build lacks.
    qat_model = prepare_qat_fx(model, get_default_qat_qconfig_mapping("fbgemm"), example_inputs=(x[:2],))
    qat = train_epoch(qat_model, sgd(qat_model, a.qat_lr), x, y, a.batch, 3)
    print(json.dumps({
        "torch_version": torch.__version__, "threads": torch.get_num_threads(), "rows": len(y),
        "warmup_epoch_seconds": round(warm, 3), "fp32_epoch_seconds": round(fp32, 3), "qat_epoch_seconds": round(qat, 3),
    }))


if __name__ == "__main__":
    main()
