// Command goload is a closed-loop OIP v2 gRPC load generator for bench/serving: CLIENTS goroutines
// each send batch-1 ModelInfer requests (one FP32 [1, WIDTH] input in raw contents per name in
// INPUT, a comma-separated list) for DURATION_MS, the next one when the previous answer arrives, spread over CHANNELS connections.
// Prints {"latenciesMs": [...], "failed": n, "errors": [...]} as JSON.
// Usage: goload ADDRESS MODEL INPUT WIDTH CLIENTS DURATION_MS CHANNELS
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"flywheel.dev/oipclient/inference"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

type result struct {
	LatenciesMs []float64 `json:"latenciesMs"`
	Failed      int       `json:"failed"`
	Errors      []string  `json:"errors"`
	DurationMs  int       `json:"durationMs"`
}

func main() {
	if len(os.Args) != 8 {
		fmt.Fprintln(os.Stderr, "usage: goload ADDRESS MODEL INPUT WIDTH CLIENTS DURATION_MS CHANNELS")
		os.Exit(2)
	}
	address, model, input := os.Args[1], os.Args[2], os.Args[3]
	width, _ := strconv.Atoi(os.Args[4])
	clients, _ := strconv.Atoi(os.Args[5])
	durationMs, _ := strconv.Atoi(os.Args[6])
	channels, _ := strconv.Atoi(os.Args[7])
	conns := make([]inference.GRPCInferenceServiceClient, channels)
	for i := range conns {
		conn, err := grpc.NewClient(address, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer conn.Close()
		conns[i] = inference.NewGRPCInferenceServiceClient(conn)
	}
	raw := make([]byte, 4*width)
	for i := 0; i < width; i++ {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(float32(math.Sin(float64(i)))))
	}
	request := &inference.ModelInferRequest{ModelName: model}
	for _, name := range strings.Split(input, ",") {
		request.Inputs = append(request.Inputs, &inference.ModelInferRequest_InferInputTensor{Name: name, Datatype: "FP32", Shape: []int64{1, int64(width)}})
		request.RawInputContents = append(request.RawInputContents, raw)
	}
	end := time.Now().Add(time.Duration(durationMs) * time.Millisecond)
	var mu sync.Mutex
	out := result{LatenciesMs: []float64{}, Errors: []string{}, DurationMs: durationMs}
	errs := map[string]bool{}
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(client inference.GRPCInferenceServiceClient) {
			defer wg.Done()
			local := make([]float64, 0, 4096)
			for time.Now().Before(end) {
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				started := time.Now()
				_, err := client.ModelInfer(ctx, request)
				took := time.Since(started)
				cancel()
				if err != nil {
					mu.Lock()
					out.Failed++
					errs[err.Error()] = true
					mu.Unlock()
					continue
				}
				local = append(local, float64(took.Nanoseconds())/1e6)
			}
			mu.Lock()
			out.LatenciesMs = append(out.LatenciesMs, local...)
			mu.Unlock()
		}(conns[c%channels])
	}
	wg.Wait()
	for e := range errs {
		if len(out.Errors) < 5 {
			out.Errors = append(out.Errors, e)
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		os.Exit(1)
	}
}
