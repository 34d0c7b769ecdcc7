#!/usr/bin/env python3
"""Makes the ONNX importer test fixtures in this folder and their manifest, fixtures.json.

Usage:  python3 make_fixtures.py DATA_DIR [--out DIR] [--only NAME[,NAME...]]

DATA_DIR holds fashion-mnist/0.json .. 9.json and mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.
Each fixture is a small classifier trained briefly (one epoch) on Fashion-MNIST or MNIST and then written by a
real exporter (torch.onnx.export) or, for the two hand-written graphs, by onnx.helper with weights trained in
PyTorch with the same arithmetic. See README.md for what each file exercises.

Needs torch 1.13.1, torchvision 0.14.1 and onnx 1.12.0 (Debian 12's python3-torch, python3-torchvision,
python3-onnx). No onnxruntime: the hand-written graphs are checked with onnx.checker, onnx.shape_inference and a
small PyTorch interpreter of the ONNX operators used here (run_onnx below), which also re-runs every exported
graph on the test set so the manifest's reference outputs are those of the graph as written.
"""

import argparse
import collections
import functools
import hashlib
import json
import math
import os
import struct
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from onnx import TensorProto, helper, numpy_helper
from torchvision.models.mobilenetv3 import MobileNetV3, _mobilenet_v3_conf
from torchvision.models.resnet import BasicBlock, ResNet
from torchvision.ops.misc import Conv2dNormActivation

torch.set_num_threads(1)

FASHION_MEAN, FASHION_STD = 0.2860, 0.3530
TEST_PER_CLASS = 1000
MAX_FILE_BYTES = 1 << 20
REFERENCE_ROWS = 10
BATCH = 128
SMOKE_IMAGES = 0  # --smoke: train on this many images only (checks the pipeline; not for committed files)


# ----------------------------------------------------------------------------------------------------------------
# Data: the project's splits (src/Microsoft.ML.Compression/Datasets/FashionMnist.cs and MnistIdx.cs)
# ----------------------------------------------------------------------------------------------------------------

def load_fashion(data_dir):
    """Fashion-MNIST class files k.json: empty entries dropped, the last 1,000 images of each class are the test
    set, the rest train. Rows are interleaved by class (class 0, 1, ..., 9, class 0, ...) as FashionMnist.Read does,
    so test row r is test image r // 10 of class r % 10. Returns ((x_train, y_train), (x_test, y_test)), x uint8
    [N, 28, 28]."""
    per_class = []
    for k in range(10):
        with open(os.path.join(data_dir, "fashion-mnist", f"{k}.json")) as f:
            entries = json.load(f)["data"]
        images = [e for e in entries if len(e) != 0]
        if any(len(e) != 784 for e in images):
            raise ValueError(f"{k}.json has an image that is not 784 pixels")
        a = np.asarray(images, dtype=np.uint8).reshape(-1, 28, 28)
        # The project drops only zero-length entries; no 784-pixel image of the package is all zero, so "non-empty"
        # in either sense gives the same split.
        if not a.reshape(len(a), -1).any(axis=1).all():
            raise ValueError(f"{k}.json has an all-zero image; the split definition would be ambiguous")
        per_class.append(a)

    def interleave(parts):
        longest = max(len(p) for p in parts)
        xs, ys = [], []
        for i in range(longest):
            for k, p in enumerate(parts):
                if i < len(p):
                    xs.append(p[i])
                    ys.append(k)
        return np.stack(xs), np.asarray(ys, dtype=np.int64)

    train = interleave([a[:-TEST_PER_CLASS] for a in per_class])
    test = interleave([a[-TEST_PER_CLASS:] for a in per_class])
    return train, test


def load_mnist(data_dir):
    """MNIST IDX files: train = train-*, test = t10k-* (file order)."""
    def images(name):
        with open(os.path.join(data_dir, "mnist", name), "rb") as f:
            magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
            assert magic == 2051 and rows == 28 and cols == 28
            return np.frombuffer(f.read(), dtype=np.uint8).reshape(n, 28, 28).copy()

    def labels(name):
        with open(os.path.join(data_dir, "mnist", name), "rb") as f:
            magic, n = struct.unpack(">II", f.read(8))
            assert magic == 2049
            return np.frombuffer(f.read(), dtype=np.uint8).astype(np.int64)

    return ((images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte")),
            (images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte")))


def features(x_uint8, mean=0.0, std=1.0, layout="NCHW"):
    """pixel / 255 as float32, then (v - mean) / std; NCHW [N,1,28,28] or NHWC [N,28,28,1]."""
    x = torch.from_numpy(np.ascontiguousarray(x_uint8)).float().div_(255.0)
    if mean != 0.0 or std != 1.0:
        x = (x - mean) / std
    return x.unsqueeze(1) if layout == "NCHW" else x.unsqueeze(3)


# ----------------------------------------------------------------------------------------------------------------
# Training and evaluation
# ----------------------------------------------------------------------------------------------------------------

def train(model, x, y, seed, lr=2e-3, images=None, batch=BATCH):
    """One pass of Adam over a seeded shuffle of the training set (or its first `images` shuffled images),
    cross-entropy on the model's output. Returns the manifest's description."""
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    n = x.shape[0]
    order = torch.randperm(n, generator=g)[:images]
    if SMOKE_IMAGES:
        order = order[:SMOKE_IMAGES]
    seen = len(order)
    for i in range(0, seen, batch):
        idx = order[i:i + batch]
        loss = F.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    share = "one epoch" if seen == n else f"{seen / n:.2g} epoch"
    return f"{share} ({seen} of {n} training images), Adam lr {lr}, batch {batch}, seed {seed}"


@torch.no_grad()
def recalibrate_batchnorm(model, x, images=5120, batch=256):
    """Recomputes BatchNorm running statistics as a plain average over the first `images` training images (train
    mode, no gradient). MobileNetV3's BatchNorm momentum 0.01 leaves running statistics far behind the weights after
    a short run (eval accuracy 10 % against 82 % with batch statistics), so its fixture needs this."""
    norms = [mod for mod in model.modules() if isinstance(mod, nn.modules.batchnorm._BatchNorm)]
    saved = [mod.momentum for mod in norms]
    for mod in norms:
        mod.reset_running_stats()
        mod.momentum = None
    model.train()
    for i in range(0, images, batch):
        model(x[i:i + batch])
    for mod, momentum in zip(norms, saved):
        mod.momentum = momentum
    model.eval()
    return f"; BatchNorm statistics then recomputed over {images} training images"


@torch.no_grad()
def predict(fn, x, batch=1000):
    return torch.cat([fn(x[i:i + batch]) for i in range(0, x.shape[0], batch)])


def accuracy(outputs, y):
    return round(100.0 * float((outputs.argmax(1) == y).float().mean()), 2)


def param_count(model):
    return int(sum(p.numel() for p in model.parameters()))


# ----------------------------------------------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------------------------------------------

class SlimResNet18(ResNet):
    """torchvision's ResNet (BasicBlock, [2, 2, 2, 2] = resnet18) with every width divided by 8 (64/128/256/512 ->
    8/16/32/64): _make_layer is torchvision's, called with planes // 8. conv1 is a 3x3 stride-1 conv for one
    28 x 28 channel; the 3x3 stride-2 max pool is kept (28 -> 14, then 14/7/4/2 through layer1..layer4)."""

    WIDTH_DIV = 8

    def __init__(self, num_classes=10):
        super().__init__(BasicBlock, [2, 2, 2, 2], num_classes=num_classes)
        stem = 64 // self.WIDTH_DIV
        self.conv1 = nn.Conv2d(1, stem, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(stem)
        self.fc = nn.Linear(512 // self.WIDTH_DIV * BasicBlock.expansion, num_classes)
        nn.init.kaiming_normal_(self.conv1.weight, mode="fan_out", nonlinearity="relu")

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        if planes == 64:  # layer1: its input is the stem, which is 64 // WIDTH_DIV channels here
            self.inplanes = 64 // self.WIDTH_DIV
        return super()._make_layer(block, planes // self.WIDTH_DIV, blocks, stride, dilate)


MOBILENET_V2_SETTING = [  # t, c, n, s (before width_mult); first conv 28 -> 14, then 14 -> 7 -> 7 -> 4 -> 4
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 2, 1],
    [6, 64, 2, 2],
    [6, 96, 1, 1],
]


def mobilenet_v2_fashion():
    """torchvision MobileNetV2, width_mult 0.5 and the shortened setting above; first conv 1 -> 16 channels,
    stride 2 (28 -> 14); last 1x1 conv 256 channels instead of 1280; classifier 256 -> 10."""
    m = torchvision.models.MobileNetV2(num_classes=10, width_mult=0.5, inverted_residual_setting=MOBILENET_V2_SETTING)
    first = m.features[0][0].out_channels
    m.features[0] = Conv2dNormActivation(1, first, stride=2, norm_layer=nn.BatchNorm2d, activation_layer=nn.ReLU6)
    last_in = m.features[-1][0].in_channels
    m.last_channel = 256
    m.features[-1] = Conv2dNormActivation(last_in, m.last_channel, kernel_size=1, norm_layer=nn.BatchNorm2d,
                                          activation_layer=nn.ReLU6)
    m.classifier[1] = nn.Linear(m.last_channel, 10)
    for mod in (m.features[0][0], m.features[-1][0]):
        nn.init.kaiming_normal_(mod.weight, mode="fan_out")
    nn.init.normal_(m.classifier[1].weight, 0, 0.01)
    nn.init.zeros_(m.classifier[1].bias)
    return m


def mobilenet_v3_fashion():
    """torchvision MobileNetV3 with mobilenet_v3_small's configuration from its builder at width_mult 0.5 with
    reduced_tail (the last three blocks at half width, so the file stays under 1 MB); first
    conv 1 -> 8 channels with stride 1 (28 -> 28 -> 14 -> 7 -> 7 -> 4 -> 2 through the blocks); last_channel 256
    instead of 1024; 10 classes."""
    setting, _ = _mobilenet_v3_conf("mobilenet_v3_small", width_mult=0.5, reduced_tail=True)
    m = MobileNetV3(setting, last_channel=256, num_classes=10)
    first = m.features[0][0].out_channels
    norm = functools.partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)  # MobileNetV3's own default
    m.features[0] = Conv2dNormActivation(1, first, kernel_size=3, stride=1, norm_layer=norm,
                                         activation_layer=nn.Hardswish)
    nn.init.kaiming_normal_(m.features[0][0].weight, mode="fan_out")
    return m


class LeNetBn(nn.Module):
    """LeNet-5 with BatchNorm after each conv and after the first Linear, ReLU6 after that BatchNorm1d."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.bn1 = nn.BatchNorm2d(6)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.bn2 = nn.BatchNorm2d(16)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.bn3 = nn.BatchNorm1d(120)
        self.relu6 = nn.ReLU6()
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)   # 6 x 14 x 14
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)   # 16 x 5 x 5
        x = torch.flatten(x, 1)
        x = self.relu6(self.bn3(self.fc1(x)))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class ViewFlatten(nn.Module):
    """Small CNN: 3x1 conv, LeakyReLU(0.1), dilated conv, AvgPool2d(padding=1, count_include_pad=False) to an odd
    13 x 13 map, MaxPool2d(ceil_mode=True) 13 -> 7, Dropout, x.view(x.size(0), -1), Linear, Sigmoid, Linear."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, kernel_size=(3, 1), padding=(1, 0))           # 28 x 28
        self.act1 = nn.LeakyReLU(0.1)
        self.conv2 = nn.Conv2d(8, 16, kernel_size=3, padding=1, dilation=2)         # 26 x 26
        self.pool1 = nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)  # 13 x 13
        self.conv3 = nn.Conv2d(16, 32, kernel_size=3, padding=1)                    # 13 x 13
        self.pool2 = nn.MaxPool2d(2, ceil_mode=True)                                # 7 x 7 (6 with floor)
        self.drop = nn.Dropout(0.25)
        self.fc1 = nn.Linear(32 * 7 * 7, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = self.act1(self.conv1(x))
        x = self.pool1(F.relu(self.conv2(x)))
        x = self.pool2(F.relu(self.conv3(x)))
        x = self.drop(x)
        x = x.view(x.size(0), -1)
        x = torch.sigmoid(self.fc1(x))
        return self.fc2(x)


class OpsZoo(nn.Module):
    """Takes pixel / 255 and normalizes inside the graph; see README.md for the operators it exercises."""

    def __init__(self):
        super().__init__()
        self.pad = nn.ZeroPad2d((1, 2, 1, 2))                         # left, right, top, bottom: 28 -> 31
        self.conv1 = nn.Conv2d(1, 16, 3, stride=2, padding=1)        # 31 -> 16
        self.conv2 = nn.Conv2d(16, 16, 3, padding=1)
        self.conv3 = nn.Conv2d(20, 32, 3, padding=1)
        self.gate = nn.Linear(32, 32)                                # Gemm, transB=1
        self.head_weight = nn.Parameter(torch.empty(10, 32 * 8 * 8))  # used as x @ W.t() + b: MatMul + Add
        self.head_bias = nn.Parameter(torch.zeros(10))
        nn.init.kaiming_uniform_(self.head_weight, a=math.sqrt(5))

    def forward(self, x):
        x = (x - FASHION_MEAN) / FASHION_STD                  # Sub, Div
        x = F.relu(self.conv1(self.pad(x)))                   # Pad (asymmetric), Conv stride 2, Relu
        x = x + F.relu6(self.conv2(x))                        # Conv, Clip(0, 6), residual Add
        x = torch.cat([x, x[:, :4] * 0.5], dim=1)             # Slice, Mul by a scalar, Concat: 20 channels
        x = F.max_pool2d(F.relu(self.conv3(x)), 2)            # 32 x 8 x 8
        m = x.mean(dim=(2, 3), keepdim=True)                  # ReduceMean -> N x 32 x 1 x 1
        g = self.gate(m.squeeze(3).squeeze(2))                # Squeeze, Gemm
        g = torch.clamp(g + 3.0, 0.0, 6.0) * (1.0 / 6.0)      # hard sigmoid by hand: Add, Clip, Mul
        x = x * g.unsqueeze(-1).unsqueeze(-1)                 # Unsqueeze, Mul: channel gate
        x = torch.flatten(x, 1)                               # Flatten
        x = x @ self.head_weight.t() + self.head_bias         # MatMul, Add
        return F.log_softmax(x, dim=1)                        # LogSoftmax


class KerasLike(nn.Module):
    """The arithmetic of a Keras Sequential model on NHWC input: Conv2D(16, 3) relu, MaxPooling2D(2), Conv2D(16, 3)
    relu, Flatten (H, W, C order), Dense(64) relu, Dense(10) softmax. forward returns logits (training);
    probabilities() adds the softmax the graph ends with."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3)   # valid: 28 -> 26, pool -> 13
        self.conv2 = nn.Conv2d(16, 16, 3)  # valid: 13 -> 11
        self.dense1 = nn.Linear(11 * 11 * 16, 64)
        self.dense2 = nn.Linear(64, 10)

    def forward(self, x):                                   # x: N x 28 x 28 x 1
        x = x.permute(0, 3, 1, 2)                           # NHWC -> NCHW
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.relu(self.conv2(x))
        x = x.permute(0, 2, 3, 1).reshape(-1, 11 * 11 * 16)  # back to NHWC, flatten H, W, C
        x = F.relu(x @ self.dense1.weight.t() + self.dense1.bias)
        return x @ self.dense2.weight.t() + self.dense2.bias

    def probabilities(self, x):
        return F.softmax(self(x), dim=-1)


class SameUpper(nn.Module):
    """The arithmetic of same_upper.onnx with explicit padding: Conv k3 s2 SAME_UPPER on 28 (pad 0 before, 1 after),
    Relu, Conv k3 s1 SAME_UPPER (1 and 1), Relu, AveragePool k3 s2 SAME_LOWER on 14 (pad 1 before, 0 after,
    padding excluded from the average), Flatten, Gemm(alpha 0.5, beta 2, transB 0) to 64, Relu, Gemm(transB 1)."""

    ALPHA, BETA = 0.5, 2.0

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, stride=2)
        self.conv2 = nn.Conv2d(16, 32, 3)
        fan_in = 32 * 7 * 7
        self.b1 = nn.Parameter(torch.empty(fan_in, 64).uniform_(-1, 1).mul_(math.sqrt(3.0 / fan_in) / self.ALPHA))
        self.c1 = nn.Parameter(torch.zeros(64))
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.conv1(F.pad(x, (0, 1, 0, 1))))       # 28 -> 14
        x = F.relu(self.conv2(F.pad(x, (1, 1, 1, 1))))       # 14 -> 14
        padded = F.pad(x, (1, 0, 1, 0))
        ones = F.pad(torch.ones_like(x[:1, :1]), (1, 0, 1, 0))
        x = F.avg_pool2d(padded, 3, 2) / F.avg_pool2d(ones, 3, 2)  # 14 -> 7, mean over the real pixels only
        x = torch.flatten(x, 1)
        x = F.relu(self.ALPHA * (x @ self.b1) + self.BETA * self.c1)
        return self.fc2(x)


# ----------------------------------------------------------------------------------------------------------------
# Hand-written graphs (onnx.helper)
# ----------------------------------------------------------------------------------------------------------------

def init(name, tensor):
    return numpy_helper.from_array(np.ascontiguousarray(tensor.detach().numpy().astype(np.float32)), name)


def keras_graph(m):
    """The graph tf2onnx writes for KerasLike's Keras model (tensor names in its style)."""
    p = "sequential/"
    nodes = [
        helper.make_node("Transpose", ["input_1"], [p + "conv2d/Conv2D__6:0"], name=p + "conv2d/Conv2D__6", perm=[0, 3, 1, 2]),
        helper.make_node("Conv", [p + "conv2d/Conv2D__6:0", "const_fold_opt__20", p + "conv2d/BiasAdd/ReadVariableOp:0"],
                         [p + "conv2d/BiasAdd:0"], name=p + "conv2d/BiasAdd", kernel_shape=[3, 3], strides=[1, 1],
                         dilations=[1, 1], group=1),
        helper.make_node("Relu", [p + "conv2d/BiasAdd:0"], [p + "conv2d/Relu:0"], name=p + "conv2d/Relu"),
        helper.make_node("MaxPool", [p + "conv2d/Relu:0"], [p + "max_pooling2d/MaxPool:0"], name=p + "max_pooling2d/MaxPool",
                         kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", [p + "max_pooling2d/MaxPool:0", "const_fold_opt__21", p + "conv2d_1/BiasAdd/ReadVariableOp:0"],
                         [p + "conv2d_1/BiasAdd:0"], name=p + "conv2d_1/BiasAdd", kernel_shape=[3, 3], strides=[1, 1],
                         dilations=[1, 1], group=1),
        helper.make_node("Relu", [p + "conv2d_1/BiasAdd:0"], [p + "conv2d_1/Relu:0"], name=p + "conv2d_1/Relu"),
        helper.make_node("Transpose", [p + "conv2d_1/Relu:0"], [p + "conv2d_1/Relu__12:0"], name=p + "conv2d_1/Relu__12", perm=[0, 2, 3, 1]),
        helper.make_node("Reshape", [p + "conv2d_1/Relu__12:0", "const_fold_opt__19"], [p + "flatten/Reshape:0"], name=p + "flatten/Reshape"),
        helper.make_node("MatMul", [p + "flatten/Reshape:0", p + "dense/MatMul/ReadVariableOp:0"], [p + "dense/MatMul:0"], name=p + "dense/MatMul"),
        helper.make_node("Add", [p + "dense/MatMul:0", p + "dense/BiasAdd/ReadVariableOp:0"], [p + "dense/BiasAdd:0"], name=p + "dense/BiasAdd"),
        helper.make_node("Relu", [p + "dense/BiasAdd:0"], [p + "dense/Relu:0"], name=p + "dense/Relu"),
        helper.make_node("MatMul", [p + "dense/Relu:0", p + "dense_1/MatMul/ReadVariableOp:0"], [p + "dense_1/MatMul:0"], name=p + "dense_1/MatMul"),
        helper.make_node("Add", [p + "dense_1/MatMul:0", p + "dense_1/BiasAdd/ReadVariableOp:0"], [p + "dense_1/BiasAdd:0"], name=p + "dense_1/BiasAdd"),
        helper.make_node("Softmax", [p + "dense_1/BiasAdd:0"], ["dense_1"], name=p + "dense_1/Softmax", axis=-1),
    ]
    inits = [
        init("const_fold_opt__20", m.conv1.weight),
        init(p + "conv2d/BiasAdd/ReadVariableOp:0", m.conv1.bias),
        init("const_fold_opt__21", m.conv2.weight),
        init(p + "conv2d_1/BiasAdd/ReadVariableOp:0", m.conv2.bias),
        numpy_helper.from_array(np.array([-1, 11 * 11 * 16], dtype=np.int64), "const_fold_opt__19"),
        init(p + "dense/MatMul/ReadVariableOp:0", m.dense1.weight.t()),
        init(p + "dense/BiasAdd/ReadVariableOp:0", m.dense1.bias),
        init(p + "dense_1/MatMul/ReadVariableOp:0", m.dense2.weight.t()),
        init(p + "dense_1/BiasAdd/ReadVariableOp:0", m.dense2.bias),
    ]
    graph = helper.make_graph(
        nodes, "tf2onnx", [helper.make_tensor_value_info("input_1", TensorProto.FLOAT, ["unk__6", 28, 28, 1])],
        [helper.make_tensor_value_info("dense_1", TensorProto.FLOAT, ["unk__7", 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="make_fixtures.py (tf2onnx-style graph via onnx.helper)",
                              producer_version=onnx.__version__)
    model.ir_version = 7
    return model


def same_upper_graph(m):
    nodes = [
        helper.make_node("Conv", ["input", "conv1.weight", "conv1.bias"], ["conv1"], name="conv1",
                         kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER"),
        helper.make_node("Relu", ["conv1"], ["relu1"], name="relu1"),
        helper.make_node("Conv", ["relu1", "conv2.weight", "conv2.bias"], ["conv2"], name="conv2",
                         kernel_shape=[3, 3], strides=[1, 1], auto_pad="SAME_UPPER"),
        helper.make_node("Relu", ["conv2"], ["relu2"], name="relu2"),
        helper.make_node("AveragePool", ["relu2"], ["pool"], name="pool", kernel_shape=[3, 3], strides=[2, 2],
                         auto_pad="SAME_LOWER"),
        helper.make_node("Flatten", ["pool"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "gemm1.B", "gemm1.C"], ["gemm1"], name="gemm1", alpha=SameUpper.ALPHA,
                         beta=SameUpper.BETA, transA=0, transB=0),
        helper.make_node("Relu", ["gemm1"], ["relu3"], name="relu3"),
        helper.make_node("Gemm", ["relu3", "fc2.weight", "fc2.bias"], ["logits"], name="gemm2", transB=1),
    ]
    inits = [init("conv1.weight", m.conv1.weight), init("conv1.bias", m.conv1.bias),
             init("conv2.weight", m.conv2.weight), init("conv2.bias", m.conv2.bias),
             init("gemm1.B", m.b1), init("gemm1.C", m.c1),
             init("fc2.weight", m.fc2.weight), init("fc2.bias", m.fc2.bias)]
    graph = helper.make_graph(
        nodes, "same_upper", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 28, 28])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)],
                              producer_name="make_fixtures.py (onnx.helper)", producer_version=onnx.__version__)
    model.ir_version = 6
    return model


# ----------------------------------------------------------------------------------------------------------------
# A small PyTorch interpreter for the ONNX operators in these fixtures, written from the ONNX operator spec
# ----------------------------------------------------------------------------------------------------------------

def _auto_pads(attrs, in_sizes, kernel, strides, dilations):
    """Begin/end pads per spatial axis from auto_pad or pads."""
    mode = attrs.get("auto_pad", b"NOTSET")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    n = len(in_sizes)
    if mode in ("NOTSET", ""):
        pads = attrs.get("pads", [0] * (2 * n))
        return list(pads[:n]), list(pads[n:])
    if mode == "VALID":
        return [0] * n, [0] * n
    begins, ends = [], []
    for size, k, s, d in zip(in_sizes, kernel, strides, dilations):
        out = -(-size // s)
        total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
        small = total // 2
        if mode == "SAME_UPPER":
            begins.append(small)
            ends.append(total - small)
        elif mode == "SAME_LOWER":
            begins.append(total - small)
            ends.append(small)
        else:
            raise ValueError(f"auto_pad {mode}")
    return begins, ends


def _torch_pad(begins, ends):
    """F.pad's order (last axis first) from ONNX begin/end lists over the trailing axes."""
    out = []
    for b, e in zip(reversed(begins), reversed(ends)):
        out += [b, e]
    return out


def run_onnx(model, inputs):
    """Evaluates an ONNX model (only the operators and attributes these fixtures use) with PyTorch ops."""
    opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    env = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in model.graph.initializer}
    env.update(inputs)
    for node in model.graph.node:
        a = {attr.name: helper.get_attribute_value(attr) for attr in node.attribute}
        x = [env[n] if n else None for n in node.input]
        op = node.op_type
        if op == "Conv":
            w, b = x[1], (x[2] if len(x) > 2 else None)
            k = a.get("kernel_shape", list(w.shape[2:]))
            s = a.get("strides", [1] * len(k))
            d = a.get("dilations", [1] * len(k))
            begins, ends = _auto_pads(a, list(x[0].shape[2:]), k, s, d)
            y = F.conv2d(F.pad(x[0], _torch_pad(begins, ends)), w, b, s, 0, d, a.get("group", 1))
        elif op in ("MaxPool", "AveragePool"):
            k = a["kernel_shape"]
            s = a.get("strides", [1] * len(k))
            begins, ends = _auto_pads(a, list(x[0].shape[2:]), k, s, [1] * len(k))
            ceil = bool(a.get("ceil_mode", 0))
            pad = _torch_pad(begins, ends)
            if op == "MaxPool":
                y = F.max_pool2d(F.pad(x[0], pad, value=-math.inf), k, s, 0, ceil_mode=ceil)
            else:
                total = F.avg_pool2d(F.pad(x[0], pad), k, s, 0, ceil_mode=ceil, divisor_override=1)
                inside = torch.ones_like(x[0][:1, :1])
                mask = F.pad(inside, pad, value=1.0 if a.get("count_include_pad", 0) else 0.0)
                y = total / F.avg_pool2d(mask, k, s, 0, ceil_mode=ceil, divisor_override=1)
        elif op == "GlobalAveragePool":
            y = x[0].mean(dim=(2, 3), keepdim=True)
        elif op == "BatchNormalization":
            shape = [1, -1] + [1] * (x[0].dim() - 2)
            scale = x[1] / torch.sqrt(x[4] + a.get("epsilon", 1e-5))
            y = (x[0] - x[3].reshape(shape)) * scale.reshape(shape) + x[2].reshape(shape)
        elif op == "Relu":
            y = F.relu(x[0])
        elif op == "LeakyRelu":
            y = F.leaky_relu(x[0], a.get("alpha", 0.01))
        elif op == "Sigmoid":
            y = torch.sigmoid(x[0])
        elif op == "HardSigmoid":
            y = torch.clamp(a.get("alpha", 0.2) * x[0] + a.get("beta", 0.5), 0, 1)
        elif op == "HardSwish":
            y = x[0] * torch.clamp(x[0] / 6 + 0.5, 0, 1)
        elif op == "Clip":
            if opset < 11:
                lo, hi = a.get("min", -math.inf), a.get("max", math.inf)
            else:
                lo = float(x[1]) if len(x) > 1 and x[1] is not None else -math.inf
                hi = float(x[2]) if len(x) > 2 and x[2] is not None else math.inf
            y = torch.clamp(x[0], lo, hi)
        elif op in ("Add", "Sub", "Mul", "Div"):
            y = {"Add": torch.add, "Sub": torch.sub, "Mul": torch.mul, "Div": torch.div}[op](x[0], x[1])
            if x[0].dtype == torch.int64 and x[1].dtype == torch.int64 and op == "Div":
                y = torch.div(x[0], x[1], rounding_mode="trunc")
        elif op == "MatMul":
            y = x[0] @ x[1]
        elif op == "Gemm":
            A = x[0].t() if a.get("transA", 0) else x[0]
            B = x[1].t() if a.get("transB", 0) else x[1]
            y = a.get("alpha", 1.0) * (A @ B)
            if len(x) > 2 and x[2] is not None:
                y = y + a.get("beta", 1.0) * x[2]
        elif op == "Flatten":
            axis = a.get("axis", 1)
            y = x[0].reshape(int(np.prod(x[0].shape[:axis])), -1)
        elif op == "Reshape":
            shape = [int(v) for v in x[1]]
            shape = [x[0].shape[i] if v == 0 else v for i, v in enumerate(shape)]
            y = x[0].reshape(shape)
        elif op == "Transpose":
            y = x[0].permute(*a["perm"])
        elif op == "Shape":
            y = torch.tensor(list(x[0].shape), dtype=torch.int64)
        elif op == "Gather":
            y = torch.index_select(x[0], a.get("axis", 0), x[1].reshape(-1)).reshape(
                list(x[0].shape[:a.get("axis", 0)]) + list(x[1].shape) + list(x[0].shape[a.get("axis", 0) + 1:]))
        elif op in ("Unsqueeze", "Squeeze"):
            axes = a["axes"] if "axes" in a else [int(v) for v in x[1]]
            y = x[0]
            if op == "Unsqueeze":
                rank = y.dim() + len(axes)
                for ax in sorted(ax % rank for ax in axes):
                    y = y.unsqueeze(ax)
            else:
                for ax in sorted((ax % y.dim() for ax in axes), reverse=True):
                    y = y.squeeze(ax)
        elif op == "Concat":
            y = torch.cat(x, dim=a["axis"])
        elif op == "Slice":
            if opset < 10:
                starts, ends, axes, steps = a["starts"], a["ends"], a.get("axes"), None
            else:
                starts, ends = [int(v) for v in x[1]], [int(v) for v in x[2]]
                axes = [int(v) for v in x[3]] if len(x) > 3 and x[3] is not None else None
                steps = [int(v) for v in x[4]] if len(x) > 4 and x[4] is not None else None
            axes = axes if axes is not None else list(range(len(starts)))
            steps = steps if steps is not None else [1] * len(starts)
            y = x[0]
            for st, en, ax, sp in zip(starts, ends, axes, steps):
                size = y.shape[ax]
                st, en = (st + size if st < 0 else st), (en + size if en < 0 else en)
                if sp > 0:
                    st, en = max(0, min(size, st)), max(0, min(size, en))
                else:
                    st, en = max(0, min(size - 1, st)), max(-1, min(size - 1, en))
                y = torch.index_select(y, ax, torch.tensor(list(range(st, en, sp)), dtype=torch.int64))
        elif op == "Pad":
            pads = [int(v) for v in x[1]] if opset >= 11 else a["pads"]
            value = float(x[2]) if len(x) > 2 and x[2] is not None else a.get("value", 0.0)
            mode = a.get("mode", b"constant")
            assert mode in (b"constant", "constant")
            n = x[0].dim()
            y = F.pad(x[0], _torch_pad(pads[:n], pads[n:]), value=value)
        elif op == "ReduceMean":
            axes = a.get("axes", list(range(x[0].dim())))
            y = x[0].mean(dim=tuple(axes), keepdim=bool(a.get("keepdims", 1)))
        elif op == "Softmax":
            y = F.softmax(x[0], dim=a.get("axis", -1 if opset >= 13 else 1))
        elif op == "LogSoftmax":
            y = F.log_softmax(x[0], dim=a.get("axis", -1 if opset >= 13 else 1))
        elif op == "ConstantOfShape":
            value = numpy_helper.to_array(a["value"]) if "value" in a else np.zeros(1, np.float32)
            y = torch.from_numpy(np.full([int(v) for v in x[0]], value.reshape(-1)[0], dtype=value.dtype))
        elif op == "Cast":
            y = torch.from_numpy(x[0].numpy().astype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[a["to"]]))
        elif op == "Identity":
            y = x[0]
        elif op == "Constant":
            y = torch.from_numpy(numpy_helper.to_array(a["value"]).copy())
        else:
            raise NotImplementedError(f"run_onnx: {op}")
        env[node.output[0]] = y
    return [env[o.name] for o in model.graph.output]


# ----------------------------------------------------------------------------------------------------------------
# Export, checks and the manifest entry
# ----------------------------------------------------------------------------------------------------------------

def dims(value_info):
    return [d.dim_param if d.HasField("dim_param") else d.dim_value for d in value_info.type.tensor_type.shape.dim]


def op_counts(model):
    return dict(sorted(collections.Counter(n.op_type for n in model.graph.node).items()))


def round_floats(values):
    return [[float(f"{v:.7g}") for v in row] for row in values.tolist()]


def finish(out_dir, file, model, *, torch_outputs, y_test, x_test_graph, entry, batch_dim):
    """Checks the written graph, re-runs it with run_onnx on the whole test set and builds the manifest entry."""
    path = os.path.join(out_dir, file)
    onnx.checker.check_model(model, full_check=True)
    inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    out_shape = dims(inferred.graph.output[0])
    size = os.path.getsize(path)
    if size > MAX_FILE_BYTES:
        raise RuntimeError(f"{file} is {size} bytes, over {MAX_FILE_BYTES}")

    feed_name = model.graph.input[0].name
    graph_out = predict(lambda xb: run_onnx(model, {feed_name: xb})[0], x_test_graph, batch=500)
    max_diff = float((graph_out - torch_outputs).abs().max())
    if max_diff > 1e-3:
        raise RuntimeError(f"{file}: run_onnx and PyTorch differ by {max_diff}")
    graph_acc = accuracy(graph_out, y_test)

    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    initializer_elements = int(sum(np.prod(i.dims) for i in model.graph.initializer))
    entry.update({
        "file": file,
        "bytes": size,
        "sha256": digest,
        "input": {"name": feed_name, "shape": dims(model.graph.input[0]), **entry.pop("input_extra")},
        "output": {"name": model.graph.output[0].name, "shape": dims(model.graph.output[0]),
                   "inferred_shape": out_shape, **entry.pop("output_extra")},
        "opset": next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
        "ir_version": model.ir_version,
        "pytorch_test_accuracy": accuracy(torch_outputs, y_test),
        "graph_test_accuracy_run_onnx": graph_acc,
        "max_abs_diff_run_onnx_vs_pytorch": float(f"{max_diff:.3g}"),
        "ops": op_counts(model),
        "node_count": len(model.graph.node),
        "initializer_elements": initializer_elements,
        "reference_outputs": {
            "rows": f"first {REFERENCE_ROWS} rows of the test split in the project's order",
            "values": round_floats(torch_outputs[:REFERENCE_ROWS]),
        },
    })
    return entry


def export(model, out_dir, file, dummy, opset, *, dynamic, input_name="input", output_name="logits", **kwargs):
    path = os.path.join(out_dir, file)
    names = {} if input_name is None else {"input_names": [input_name], "output_names": [output_name]}
    axes = {input_name: {0: "N"}, output_name: {0: "N"}} if dynamic else None
    torch.onnx.export(model, dummy, path, opset_version=opset, dynamic_axes=axes, **names, **kwargs)
    return onnx.load(path)


TORCH_VERSION = "1.13.1"  # Debian's python3-torch 1.13.1+dfsg reports torch.__version__ == "1.13.0a0"


def exporter_string(**flags):
    return f"torch {TORCH_VERSION} torch.onnx.export " + " ".join(f"{k}={v}" for k, v in flags.items())


# ----------------------------------------------------------------------------------------------------------------
# Fixtures
# ----------------------------------------------------------------------------------------------------------------

def common(dataset, mean, std, layout, exporter, model_note, output_kind):
    return {"dataset": dataset, "mean": mean, "std": std, "layout": layout, "exporter": exporter,
            "model": model_note, "input_extra": {}, "output_extra": {"kind": output_kind}}


def fx_resnet18(data, out):
    (xtr, ytr), (xte, yte) = data["fashion"]
    torch.manual_seed(1)
    m = SlimResNet18()
    xs, xt = features(xtr, FASHION_MEAN, FASHION_STD), features(xte, FASHION_MEAN, FASHION_STD)
    e_train = train(m, xs, torch.from_numpy(ytr), seed=1)
    ref = predict(m, xt)
    g = export(m, out, "resnet18_fashion.onnx", xt[:2], 13, dynamic=True)
    e = common("fashion", FASHION_MEAN, FASHION_STD, "NCHW", exporter_string(opset_version=13, do_constant_folding=True),
               "torchvision.models.resnet.ResNet(BasicBlock, [2,2,2,2]) widths 8/16/32/64, conv1 3x3 stride 1 for "
               "1 channel, maxpool kept (3x3 stride 2 pad 1), fc 64 -> 10; BatchNorm folded into Conv by the exporter",
               "logits")
    e["parameters"] = param_count(m)
    e["training"] = e_train
    return finish(out, "resnet18_fashion.onnx", g, torch_outputs=ref, y_test=torch.from_numpy(yte), x_test_graph=xt,
                  entry=e, batch_dim="N")


def fx_mobilenet_v2(data, out):
    (xtr, ytr), (xte, yte) = data["fashion"]
    torch.manual_seed(2)
    m = mobilenet_v2_fashion()
    xs, xt = features(xtr, FASHION_MEAN, FASHION_STD), features(xte, FASHION_MEAN, FASHION_STD)
    e_train = train(m, xs, torch.from_numpy(ytr), seed=2, images=30000)  # depthwise convs are slow on one CPU core: half an epoch
    ref = predict(m, xt)
    g = export(m, out, "mobilenet_v2_fashion.onnx", xt[:2], 11, dynamic=True)
    e = common("fashion", FASHION_MEAN, FASHION_STD, "NCHW", exporter_string(opset_version=11, do_constant_folding=True),
               "torchvision.models.MobileNetV2(width_mult=0.5, inverted_residual_setting=[[1,16,1,1],[6,24,2,2],"
               "[6,32,2,1],[6,64,2,2],[6,96,1,1]]), first conv 1 -> 16 stride 2 (28 -> 14 -> 7 -> 4), last 1x1 conv 256 channels, "
               "classifier 256 -> 10; ReLU6 exports as Clip with min/max inputs", "logits")
    e["parameters"] = param_count(m)
    e["training"] = e_train
    return finish(out, "mobilenet_v2_fashion.onnx", g, torch_outputs=ref, y_test=torch.from_numpy(yte), x_test_graph=xt,
                  entry=e, batch_dim="N")


def fx_lenet(data, out):
    (xtr, ytr), (xte, yte) = data["mnist"]
    torch.manual_seed(3)
    m = LeNetBn()
    xs, xt = features(xtr), features(xte)
    e_train = train(m, xs, torch.from_numpy(ytr), seed=3)
    ref = predict(m, xt)
    g = export(m, out, "lenet_bn_opset9.onnx", xt[:1], 9, dynamic=False, input_name=None,
               training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    e = common("mnist", 0.0, 1.0, "NCHW",
               exporter_string(opset_version=9, training="TrainingMode.PRESERVE", do_constant_folding=False) +
               " (model in eval mode; default input/output names)",
               "LeNet-5: Conv 5x5 pad 2 (6) BN ReLU MaxPool, Conv 5x5 (16) BN ReLU MaxPool, Flatten, Linear 400->120 "
               "BatchNorm1d ReLU6, Linear 120->84 ReLU, Linear 84->10; BatchNormalization nodes kept (inference form, "
               "5 inputs, 1 output); nn.ReLU6 exports at opset 9 as Clip with min=0, max=6 attributes", "logits")
    e["parameters"] = param_count(m)
    e["training"] = e_train
    return finish(out, "lenet_bn_opset9.onnx", g, torch_outputs=ref, y_test=torch.from_numpy(yte), x_test_graph=xt,
                  entry=e, batch_dim=1)


def fx_view_flatten(data, out):
    (xtr, ytr), (xte, yte) = data["fashion"]
    torch.manual_seed(4)
    m = ViewFlatten()
    xs, xt = features(xtr), features(xte)
    e_train = train(m, xs, torch.from_numpy(ytr), seed=4)
    ref = predict(m, xt)
    g = export(m, out, "view_flatten.onnx", xt[:2], 12, dynamic=True, do_constant_folding=False)
    e = common("fashion", 0.0, 1.0, "NCHW", exporter_string(opset_version=12, do_constant_folding=False),
               "Conv 3x1 pad (1,0) (8) LeakyReLU(0.1), Conv 3x3 dilation 2 pad 1 (16) ReLU [26x26], "
               "AvgPool2d(3, 2, padding=1, count_include_pad=False) [13x13], Conv 3x3 pad 1 (32) ReLU, "
               "MaxPool2d(2, ceil_mode=True) [7x7], Dropout(0.25) (no node in eval), x.view(x.size(0), -1) "
               "(Shape/Gather/Unsqueeze/Concat/Reshape), Linear 1568->64, Sigmoid, Linear 64->10", "logits")
    e["parameters"] = param_count(m)
    e["training"] = e_train
    return finish(out, "view_flatten.onnx", g, torch_outputs=ref, y_test=torch.from_numpy(yte), x_test_graph=xt,
                  entry=e, batch_dim="N")


def fx_keras(data, out):
    (xtr, ytr), (xte, yte) = data["fashion"]
    torch.manual_seed(5)
    m = KerasLike()
    xs, xt = features(xtr, layout="NHWC"), features(xte, layout="NHWC")
    e_train = train(m, xs, torch.from_numpy(ytr), seed=5)
    ref = predict(m.probabilities, xt)
    g = keras_graph(m)
    onnx.save(g, os.path.join(out, "keras_nhwc.onnx"))
    e = common("fashion", 0.0, 1.0, "NHWC", f"onnx {onnx.__version__} onnx.helper (written as tf2onnx writes a Keras "
               "model; weights from a PyTorch model with the same arithmetic)",
               "Keras-style Sequential on NHWC input: Transpose(0,3,1,2), Conv 3x3 valid (16)+bias, Relu, MaxPool 2, "
               "Conv 3x3 valid (16)+bias, Relu, Transpose(0,2,3,1), Reshape [-1, 1936] (H, W, C order), "
               "MatMul [1936,64], Add, Relu, MatMul [64,10], Add, Softmax(axis=-1)", "probabilities")
    e["parameters"] = param_count(m)
    e["training"] = e_train
    return finish(out, "keras_nhwc.onnx", g, torch_outputs=ref, y_test=torch.from_numpy(yte), x_test_graph=xt,
                  entry=e, batch_dim="unk__6")


def fx_mobilenet_v3(data, out):
    (xtr, ytr), (xte, yte) = data["fashion"]
    torch.manual_seed(6)
    m = mobilenet_v3_fashion()
    xs, xt = features(xtr, FASHION_MEAN, FASHION_STD), features(xte, FASHION_MEAN, FASHION_STD)
    e_train = train(m, xs, torch.from_numpy(ytr), seed=6, images=30000)  # as MobileNetV2: half an epoch
    e_train += recalibrate_batchnorm(m, xs)
    ref = predict(m, xt)
    g = export(m, out, "mobilenet_v3_fashion.onnx", xt[:2], 14, dynamic=True)
    e = common("fashion", FASHION_MEAN, FASHION_STD, "NCHW", exporter_string(opset_version=14, do_constant_folding=True),
               "torchvision MobileNetV3 with _mobilenet_v3_conf('mobilenet_v3_small', width_mult=0.5, reduced_tail=True), "
               "first conv "
               "1 -> 8 stride 1, last_channel 256, 10 classes: HardSwish, HardSigmoid, squeeze-and-excite "
               "(GlobalAveragePool, 1x1 Convs, Mul of two tensors), residual Adds, Gemm; BatchNorm folded into Conv",
               "logits")
    e["parameters"] = param_count(m)
    e["training"] = e_train
    return finish(out, "mobilenet_v3_fashion.onnx", g, torch_outputs=ref, y_test=torch.from_numpy(yte), x_test_graph=xt,
                  entry=e, batch_dim="N")


def fx_ops_zoo(data, out):
    (xtr, ytr), (xte, yte) = data["fashion"]
    torch.manual_seed(7)
    m = OpsZoo()
    xs, xt = features(xtr), features(xte)

    # cross-entropy of log-probabilities is the same loss as of logits (log_softmax is idempotent)
    e_train = train(m, xs, torch.from_numpy(ytr), seed=7)
    ref = predict(m, xt)
    g = export(m, out, "ops_zoo.onnx", xt[:2], 13, dynamic=True, output_name="log_probs")
    e = common("fashion", 0.0, 1.0, "NCHW", exporter_string(opset_version=13, do_constant_folding=True),
               "normalization in the graph (Sub 0.2860, Div 0.3530), ZeroPad2d((1,2,1,2)) -> Pad, Conv 3x3 stride 2 "
               "pad 1 (16) Relu, residual x + relu6(Conv(x)) (Clip), cat([x, x[:, :4] * 0.5]) (Slice, Mul, Concat), "
               "Conv (32) Relu MaxPool, mean over (2,3) keepdim (ReduceMean), squeeze -> Linear (Gemm transB=1) -> "
               "clamp(g + 3, 0, 6) / 6 -> unsqueeze -> channel Mul, flatten, x @ W.t() + b (MatMul, Add), LogSoftmax",
               "log_probabilities")
    e["input_extra"] = {"note": "pixel / 255; the graph normalizes itself"}
    e["parameters"] = param_count(m)
    e["training"] = e_train
    return finish(out, "ops_zoo.onnx", g, torch_outputs=ref, y_test=torch.from_numpy(yte), x_test_graph=xt,
                  entry=e, batch_dim="N")


def fx_same_upper(data, out):
    (xtr, ytr), (xte, yte) = data["fashion"]
    torch.manual_seed(8)
    m = SameUpper()
    xs, xt = features(xtr), features(xte)
    e_train = train(m, xs, torch.from_numpy(ytr), seed=8)
    ref = predict(m, xt)
    g = same_upper_graph(m)
    onnx.save(g, os.path.join(out, "same_upper.onnx"))
    e = common("fashion", 0.0, 1.0, "NCHW", f"onnx {onnx.__version__} onnx.helper (weights from a PyTorch model with "
               "the same arithmetic and explicit padding)",
               "Conv 3x3 stride 2 auto_pad SAME_UPPER on 28 (pads 0 before, 1 after) Relu, Conv 3x3 SAME_UPPER stride 1 "
               "(1/1) Relu, AveragePool 3x3 stride 2 auto_pad SAME_LOWER on 14 (pads 1 before, 0 after, "
               "count_include_pad=0), Flatten, Gemm(alpha=0.5, beta=2, transB=0) [1568,64], Relu, "
               "Gemm(transB=1) 64 -> 10", "logits")
    e["parameters"] = param_count(m)
    e["training"] = e_train
    return finish(out, "same_upper.onnx", g, torch_outputs=ref, y_test=torch.from_numpy(yte), x_test_graph=xt,
                  entry=e, batch_dim="N")


FIXTURES = {
    "resnet18_fashion": fx_resnet18,
    "mobilenet_v2_fashion": fx_mobilenet_v2,
    "lenet_bn_opset9": fx_lenet,
    "view_flatten": fx_view_flatten,
    "keras_nhwc": fx_keras,
    "mobilenet_v3_fashion": fx_mobilenet_v3,
    "ops_zoo": fx_ops_zoo,
    "same_upper": fx_same_upper,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir", help="folder holding fashion-mnist/ and mnist/")
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)), help="output folder (default: this script's)")
    ap.add_argument("--only", default="", help="comma-separated fixture names; others keep their manifest entries")
    ap.add_argument("--smoke", type=int, default=0, help="train on only this many images (pipeline check; use with --out)")
    args = ap.parse_args()
    global SMOKE_IMAGES
    SMOKE_IMAGES = args.smoke
    names = [n for n in args.only.split(",") if n] or list(FIXTURES)
    for n in names:
        if n not in FIXTURES:
            sys.exit(f"unknown fixture {n}; known: {', '.join(FIXTURES)}")

    t0 = time.time()
    data = {}
    if any(n != "lenet_bn_opset9" for n in names):
        data["fashion"] = load_fashion(args.data_dir)
    if "lenet_bn_opset9" in names:
        data["mnist"] = load_mnist(args.data_dir)
    print(f"data loaded in {time.time() - t0:.1f} s", flush=True)

    manifest_path = os.path.join(args.out, "fixtures.json")
    entries = {}
    if os.path.exists(manifest_path) and args.only:
        with open(manifest_path) as f:
            entries = {e["name"]: e for e in json.load(f)["fixtures"]}
    for n in names:
        t = time.time()
        e = FIXTURES[n](data, args.out)
        entries[n] = {"name": n, **e, "seconds": round(time.time() - t, 1)}
        print(f"{n}: {e['bytes']} bytes, accuracy {e['pytorch_test_accuracy']} % (graph via run_onnx "
              f"{e['graph_test_accuracy_run_onnx']} %, max diff {e['max_abs_diff_run_onnx_vs_pytorch']}), "
              f"{time.time() - t:.1f} s, ops {e['ops']}", flush=True)

    ordered = [entries[n] for n in FIXTURES if n in entries]
    total = sum(e["bytes"] for e in ordered)
    if total > 10 * MAX_FILE_BYTES:
        raise RuntimeError(f"fixtures total {total} bytes, over 10 MiB")
    for e in ordered:
        e.pop("seconds", None)
    manifest = {
        "generator": "make_fixtures.py",
        "packages": {"torch": "1.13.1 (Debian python3-torch 1.13.1+dfsg-4; torch.__version__ reports "
                              f"{torch.__version__})",
                     "torchvision": f"0.14.1 (Debian python3-torchvision 0.14.1-2; reports {torchvision.__version__})",
                     "onnx": f"{onnx.__version__} (Debian python3-onnx 1.12.0-2)",
                     "numpy": np.__version__, "python": sys.version.split()[0]},
        "data": {
            "fashion": "Fashion-MNIST class files 0.json..9.json, empty entries dropped; test = the last 1,000 images of "
                       "each class (10,000), train = the rest (60,000); rows interleaved by class as "
                       "FashionMnist.Read orders them (test row r = test image r // 10 of class r % 10)",
            "mnist": "MNIST IDX: train = train-*-ubyte (60,000), test = t10k-*-ubyte (10,000), file order",
            "features": "pixel / 255 as float32; then (value - mean) / std with the fixture's mean and std "
                        "(0 and 1: nothing more); NCHW [N,1,28,28] or NHWC [N,28,28,1] as the fixture's layout says",
        },
        "training": f"one epoch, Adam, batch {BATCH}, cross-entropy, torch.set_num_threads(1), fixed seeds",
        "fields": {
            "pytorch_test_accuracy": "top-1 % of the PyTorch model (eval mode) on the whole test split (10,000)",
            "graph_test_accuracy_run_onnx": "top-1 % of the ONNX graph as written, evaluated by make_fixtures.py's "
                                            "PyTorch interpreter run_onnx (no onnxruntime was available)",
            "parameters": "trainable parameters of the PyTorch model (before the exporter folds BatchNorm)",
            "initializer_elements": "float and int64 elements held in the graph's initializers",
            "reference_outputs": "PyTorch outputs (the graph's output: logits, probabilities or log-probabilities) "
                                 "for the first test rows, 7 significant digits",
        },
        "total_bytes": total,
        "fixtures": ordered,
    }
    with open(manifest_path, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(f"wrote {manifest_path}; {len(ordered)} fixtures, {total} bytes, {time.time() - t0:.0f} s in all")


if __name__ == "__main__":
    main()
