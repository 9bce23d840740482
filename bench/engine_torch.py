#!/usr/bin/python3
"""PyTorch peer for bench/engine.js (the external reference; never a product dependency).

Builds the SAME network as the TypeScript IR by interpreting the IR stored in a tfjs-format
model.json (`pannNetwork`) and loads the same weights from weights.bin, so timings compare one
architecture. Prints one JSON object on stdout. Modes:
  conv                       Conv3D 16->16, 3^3, 48^3: forward and forward+backward GFLOP/s
  infer  MODEL_DIR SIZE GLOBAL REPS  REPS inferences on a random SIZE^3 volume (last one timed), peak RSS
  parity MODEL_DIR IN.bin OUT.bin SHAPE...  runs the net on IN (float32, NDHWC) and writes OUT
  train  MODEL_DIR BATCH SIZE GLOBAL STEPS  Adam + MSE training steps: time per step
Threads: 2 (this machine's cores), set explicitly.
"""
import json
import resource
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(2)


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def load_model(model_dir):
    with open(f"{model_dir}/model.json") as f:
        mj = json.load(f)
    net = mj["pannNetwork"]
    raw = b"".join(open(f"{model_dir}/{p}", "rb").read() for g in mj["weightsManifest"] for p in g["paths"])
    flat = np.frombuffer(raw, dtype="<f4")
    weights, off = {}, 0
    for g in mj["weightsManifest"]:
        for w in g["weights"]:
            n = int(np.prod(w["shape"])) if w["shape"] else 1
            weights[w["name"]] = torch.tensor(flat[off:off + n].reshape(w["shape"]).copy())
            off += n
    return net, weights


def to_torch_layout(net, weights):
    """tfjs layouts -> torch layouts, as trainable parameters."""
    params = {}
    kinds = {L["id"]: L["kind"] for L in net["layers"]}
    for name, t in weights.items():
        lid, part = name.rsplit("/", 1)
        if part == "kernel" and kinds[lid] in ("conv3d", "convTranspose3d"):
            t = t.permute(4, 3, 0, 1, 2).contiguous()  # conv: [out,in,k..]; convT: [in,out,k..]
        params[name] = torch.nn.Parameter(t)
    return params


def forward(net, p, inputs):
    v = {}
    for L in net["layers"]:
        k, i = L["kind"], L["id"]
        if k == "input":
            x = inputs[i]
            v[i] = x.permute(0, 4, 1, 2, 3) if L["rank"] == 5 and L["dtype"] == "float32" else x
        elif k == "conv3d":
            v[i] = F.conv3d(v[L["input"]], p[f"{i}/kernel"], p.get(f"{i}/bias"), stride=L["stride"], padding=L["pad"])
        elif k == "convTranspose3d":
            v[i] = F.conv_transpose3d(v[L["input"]], p[f"{i}/kernel"], p.get(f"{i}/bias"), stride=L["stride"])
        elif k == "upsample3d":
            v[i] = F.interpolate(v[L["input"]], scale_factor=L["factor"], mode="nearest")
        elif k == "pool3d":
            f = F.max_pool3d if L["mode"] == "max" else F.avg_pool3d
            v[i] = f(v[L["input"]], L["size"], L["size"])
        elif k == "globalAvgPool3d":
            v[i] = v[L["input"]].mean(dim=(2, 3, 4))
        elif k == "instanceNorm":
            v[i] = F.instance_norm(v[L["input"]], weight=p.get(f"{i}/gamma"), bias=p.get(f"{i}/beta"), eps=L["epsilon"])
        elif k == "layerNorm":
            x = v[L["input"]]
            v[i] = F.layer_norm(x, (x.shape[-1],), p[f"{i}/gamma"], p[f"{i}/beta"], L["epsilon"])
        elif k == "activation":
            x, fn = v[L["input"]], L["fn"]
            v[i] = {"relu": F.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "linear": lambda t: t}.get(fn, None)(x) if fn != "leakyRelu" else F.leaky_relu(x, L["alpha"])
        elif k == "softmax":
            x = v[L["input"]]
            v[i] = torch.softmax(x, dim=1 if x.dim() == 5 else -1)
        elif k == "add":
            v[i] = v[L["inputs"][0]] + v[L["inputs"][1]]
        elif k == "concat":
            v[i] = torch.cat([v[t] for t in L["inputs"]], dim=1)
        elif k == "dense":
            y = v[L["input"]] @ p[f"{i}/kernel"]
            v[i] = y + p[f"{i}/bias"] if f"{i}/bias" in p else y
        elif k == "film":
            g, b = v[L["gamma"]], v[L["beta"]]
            v[i] = v[L["input"]] * (1 + g[:, :, None, None, None]) + b[:, :, None, None, None]
        elif k == "gather":
            v[i] = v[L["input"]][v[L["indices"]].long()]
        elif k == "scatterAdd":
            x = v[L["input"]]
            v[i] = torch.zeros(L["numSegments"], x.shape[1]).index_add_(0, v[L["indices"]].long(), x)
        else:
            raise ValueError(f"unknown layer kind {k}")
    outs = []
    for o in net["outputs"]:
        y = v[o]
        outs.append(y.permute(0, 2, 3, 4, 1) if y.dim() == 5 else y)
    return outs


def make_inputs(net, size, gsize, batch=1):
    ins = {}
    for L in net["layers"]:
        if L["kind"] == "input":
            s = size if L["id"] == "volume" else gsize
            ins[L["id"]] = torch.randn(batch, s, s, s, L["channels"])
    return ins


def mode_conv():
    S, C = 48, 16
    flops = 2 * C * C * 27 * S ** 3
    x = torch.randn(1, C, S, S, S)
    w = torch.randn(C, C, 3, 3, 3) * 0.1
    with torch.no_grad():
        F.conv3d(x, w, padding=1)
        t = time.perf_counter()
        for _ in range(5):
            F.conv3d(x, w, padding=1)
        fwd = (time.perf_counter() - t) / 5
    xg, wg = x.clone().requires_grad_(True), w.clone().requires_grad_(True)
    r = torch.randn(1, C, S, S, S)
    F.conv3d(xg, wg, padding=1).backward(r)
    t = time.perf_counter()
    for _ in range(3):
        F.conv3d(xg, wg, padding=1).backward(r)
    fb = (time.perf_counter() - t) / 3
    return {"forwardGflops": flops / fwd / 1e9, "forwardBackwardGflops": 3 * flops / fb / 1e9, "forwardMs": fwd * 1e3, "forwardBackwardMs": fb * 1e3}


def mode_infer(model_dir, size, gsize, reps):
    """`reps` runs (the first ones warm up, as on our side); the last one is timed."""
    net, w = load_model(model_dir)
    p = to_torch_layout(net, w)
    ins = make_inputs(net, size, gsize)
    with torch.no_grad():
        for _ in range(reps - 1):
            forward(net, p, ins)
        t = time.perf_counter()
        forward(net, p, ins)
        dt = time.perf_counter() - t
    return {"seconds": dt, "peakRssMiB": peak_rss_mib()}


def mode_parity(model_dir, inp, out, shapes):
    net, w = load_model(model_dir)
    p = to_torch_layout(net, w)
    raw = np.fromfile(inp, dtype="<f4")
    ins, off = {}, 0
    names = [L["id"] for L in net["layers"] if L["kind"] == "input"]
    for name, shape in zip(names, shapes):
        n = int(np.prod(shape))
        ins[name] = torch.tensor(raw[off:off + n].reshape(shape).copy())
        off += n
    with torch.no_grad():
        y = forward(net, p, ins)[0]
    y.numpy().astype("<f4").tofile(out)
    return {"written": out}


def mode_train(model_dir, batch, size, gsize, steps):
    net, w = load_model(model_dir)
    p = to_torch_layout(net, w)
    opt = torch.optim.Adam(list(p.values()), lr=1e-3)
    ins = make_inputs(net, size, gsize, batch)
    target = torch.randn(batch, size, size, size, 1)
    times = []
    for s in range(steps + 1):
        t = time.perf_counter()
        opt.zero_grad()
        y = forward(net, p, ins)[0]
        loss = ((y - target) ** 2).mean()
        loss.backward()
        opt.step()
        if s > 0:
            times.append(time.perf_counter() - t)
    return {"secondsPerStep": float(np.median(times)), "steps": steps, "peakRssMiB": peak_rss_mib()}


if __name__ == "__main__":
    a = sys.argv[1:]
    res = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    if a[0] == "conv":
        res.update(mode_conv())
    elif a[0] == "infer":
        res.update(mode_infer(a[1], int(a[2]), int(a[3]), int(a[4]) if len(a) > 4 else 1))
    elif a[0] == "parity":
        shapes = [list(map(int, s.split(","))) for s in a[4:]]
        res.update(mode_parity(a[1], a[2], a[3], shapes))
    elif a[0] == "train":
        res.update(mode_train(a[1], int(a[2]), int(a[3]), int(a[4]), int(a[5])))
    print(json.dumps(res))
