// Command oipclient is a Go gRPC client of the Open Inference Protocol v2 (stubs generated from
// proto/inference/grpc_service.proto into ./inference). It asks a server for liveness, a model's
// metadata and one inference with raw FP32 inputs, plus two requests that must fail, and prints
// what it got as JSON. Usage: go run . ADDRESS MODEL
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"time"

	"flywheel.dev/oipclient/inference"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

type result struct {
	Live        bool              `json:"live"`
	Inputs      []string          `json:"inputs"`
	Probability []float32         `json:"probability"`
	Label       []int64           `json:"label"`
	Errors      map[string]string `json:"errors"`
}

func main() {
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(address, model string) error {
	conn, err := grpc.NewClient(address, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	client := inference.NewGRPCInferenceServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	out := result{Errors: map[string]string{}}
	live, err := client.ServerLive(ctx, &inference.ServerLiveRequest{})
	if err != nil {
		return err
	}
	out.Live = live.Live
	metadata, err := client.ModelMetadata(ctx, &inference.ModelMetadataRequest{Name: model})
	if err != nil {
		return err
	}
	for _, input := range metadata.Inputs {
		out.Inputs = append(out.Inputs, fmt.Sprintf("%s %s %v", input.Name, input.Datatype, input.Shape))
	}

	rows := [][3]float32{{12.5, 5.0, 4.7}, {25.1, 14.2, 2.1}, {3.3, -2.8, 6.0}}
	request := &inference.ModelInferRequest{ModelName: model}
	for j, name := range []string{"temp_max", "temp_min", "wind"} {
		request.Inputs = append(request.Inputs, &inference.ModelInferRequest_InferInputTensor{
			Name: name, Datatype: "FP32", Shape: []int64{int64(len(rows)), 1},
		})
		raw := make([]byte, 4*len(rows))
		for i, row := range rows {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(row[j]))
		}
		request.RawInputContents = append(request.RawInputContents, raw)
	}
	response, err := client.ModelInfer(ctx, request)
	if err != nil {
		return err
	}
	for k, output := range response.Outputs {
		raw := response.RawOutputContents[k]
		switch output.Name {
		case "probability":
			for i := 0; i+4 <= len(raw); i += 4 {
				out.Probability = append(out.Probability, math.Float32frombits(binary.LittleEndian.Uint32(raw[i:])))
			}
		case "label":
			for i := 0; i+8 <= len(raw); i += 8 {
				out.Label = append(out.Label, int64(binary.LittleEndian.Uint64(raw[i:])))
			}
		}
	}

	_, err = client.ModelInfer(ctx, &inference.ModelInferRequest{ModelName: "no-such-model"})
	out.Errors["unknown_model"] = status.Code(err).String()
	bad := &inference.ModelInferRequest{ModelName: model, Inputs: request.Inputs, RawInputContents: [][]byte{{1, 2, 3}, {}, {}}}
	_, err = client.ModelInfer(ctx, bad)
	out.Errors["short_raw"] = status.Code(err).String()
	return json.NewEncoder(os.Stdout).Encode(out)
}
