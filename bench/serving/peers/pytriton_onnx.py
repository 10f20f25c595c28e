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
from pytriton.triton import Triton, TritonConfig, TritonSecurityConfig

path, name, http_port, grpc_port, metrics_port = sys.argv[1:6]
options = onnxruntime.SessionOptions()
options.intra_op_num_threads = 1
options.inter_op_num_threads = 1
session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
inputs = session.get_inputs()
outputs = session.get_outputs()
numpy_type = {"tensor(float)": np.float32, "tensor(int64)": np.int64, "tensor(double)": np.float64}


output_names = [o.name for o in outputs]


def infer(requests):
    # pytriton hands the callable a list of requests (each a mapping of input name to numpy array).
    return [dict(zip(output_names, session.run(output_names, dict(request.items())))) for request in requests]


def shape(value):
    return tuple(d if isinstance(d, int) else -1 for d in value.shape)


config = TritonConfig(http_port=int(http_port), grpc_port=int(grpc_port), metrics_port=int(metrics_port))
# pytriton guards statistics with a random token by default; perf_analyzer reads them (as it does from
# Triton and Flywheel), so they are left open; the model repository, shared memory, trace and logging
# stay behind the token.
security = TritonSecurityConfig(restricted_endpoints=["shared-memory", "model-repository", "trace", "logging"])
with Triton(config=config, security_config=security) as triton:
    triton.bind(
        model_name=name,
        infer_func=infer,
        inputs=[Tensor(name=i.name, dtype=numpy_type[i.type], shape=shape(i)) for i in inputs],
        outputs=[Tensor(name=o.name, dtype=numpy_type[o.type], shape=shape(o)) for o in outputs],
        config=ModelConfig(batching=False),
        strict=False,
    )
    triton.serve()
