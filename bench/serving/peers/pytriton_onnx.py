"""Triton Inference Server 2.51 as nvidia-pytriton 0.7 ships it, serving an ONNX model through
onnxruntime, for bench/serving/perf-analyzer-bench.ts.

Usage: python pytriton_onnx.py MODEL.onnx NAME HTTP_PORT GRPC_PORT METRICS_PORT
Triton's C++ frontend (gRPC/HTTP, scheduler) answers; each request goes through pytriton's Python
backend stub to the inference callable in this Python process, which runs onnxruntime. No dynamic
batching (max_batch_size 0), like the other peers: batch-1 requests of shape [1, 1].
"""

import sys

import numpy as np
import onnxruntime
from pytriton.model_config import ModelConfig, Tensor
from pytriton.triton import Triton, TritonConfig

path, name, http_port, grpc_port, metrics_port = sys.argv[1:6]
options = onnxruntime.SessionOptions()
options.intra_op_num_threads = 1
options.inter_op_num_threads = 1
session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
inputs = session.get_inputs()
outputs = session.get_outputs()
numpy_type = {"tensor(float)": np.float32, "tensor(int64)": np.int64, "tensor(double)": np.float64}


def infer(**feeds):
    return dict(zip([o.name for o in outputs], session.run(None, feeds)))


def shape(value):
    return tuple(d if isinstance(d, int) else -1 for d in value.shape)


config = TritonConfig(http_port=int(http_port), grpc_port=int(grpc_port), metrics_port=int(metrics_port))
with Triton(config=config) as triton:
    triton.bind(
        model_name=name,
        infer_func=infer,
        inputs=[Tensor(name=i.name, dtype=numpy_type[i.type], shape=shape(i)) for i in inputs],
        outputs=[Tensor(name=o.name, dtype=numpy_type[o.type], shape=shape(o)) for o in outputs],
        config=ModelConfig(max_batch_size=0),
        strict=False,
    )
    triton.serve()
