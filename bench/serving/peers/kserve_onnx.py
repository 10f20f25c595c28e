"""A KServe 0.21 model over onnxruntime, for bench/serving/perf-analyzer-bench.ts.

Usage: python kserve_onnx.py MODEL.onnx NAME HTTP_PORT GRPC_PORT
Answers in raw (binary) outputs with the request's id: perf_analyzer reads both.
"""

import sys

import onnxruntime
from kserve import InferOutput, InferRequest, InferResponse, Model, ModelServer
from kserve.utils.utils import from_np_dtype


class OnnxModel(Model):
    def __init__(self, name: str, path: str):
        super().__init__(name)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        self.outputs = [output.name for output in self.session.get_outputs()]
        self.ready = True

    async def predict(self, payload: InferRequest, headers=None, response_headers=None) -> InferResponse:
        feeds = {tensor.name: tensor.as_numpy() for tensor in payload.inputs}
        outputs = []
        for name, value in zip(self.outputs, self.session.run(self.outputs, feeds)):
            output = InferOutput(name=name, shape=list(value.shape), datatype=from_np_dtype(value.dtype))
            output.set_data_from_numpy(value, binary_data=True)
            outputs.append(output)
        return InferResponse(
            response_id=payload.id or "",
            model_name=self.name,
            infer_outputs=outputs,
            use_binary_outputs=True,
        )


if __name__ == "__main__":
    path, name, http_port, grpc_port = sys.argv[1:5]
    ModelServer(http_port=int(http_port), grpc_port=int(grpc_port), workers=1, enable_docs_url=False).start(
        [OnnxModel(name, path)]
    )
