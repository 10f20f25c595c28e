"""A minimal MLServer runtime that serves an ONNX model through onnxruntime, for bench/serving/mlserver-bench.ts.

MLServer (PyPI) has no maintained ONNX runtime of its own; this is the few lines a user would write:
one InferenceSession (intra-op threads from the model settings' `extra.intra_op_threads`), inputs
decoded with NumpyCodec, every model output returned.
"""

import numpy as np
import onnxruntime
from mlserver import MLModel
from mlserver.codecs import NumpyCodec
from mlserver.types import InferenceRequest, InferenceResponse
from mlserver.utils import get_model_uri


class OnnxRuntime(MLModel):
    async def load(self) -> bool:
        parameters = self.settings.parameters
        path = await get_model_uri(self.settings)  # relative to model-settings.json
        options = onnxruntime.SessionOptions()
        extra = parameters.extra or {}
        options.intra_op_num_threads = int(extra.get("intra_op_threads", 1))
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        self._outputs = [output.name for output in self._session.get_outputs()]
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        feeds = {tensor.name: NumpyCodec.decode_input(tensor) for tensor in payload.inputs}
        results = self._session.run(self._outputs, feeds)
        return InferenceResponse(
            model_name=self.name,
            model_version=self.version,
            outputs=[NumpyCodec.encode_output(name, np.asarray(value)) for name, value in zip(self._outputs, results)],
        )
