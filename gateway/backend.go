package gateway

import (
	"context"
	"log"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
)

// Dial connects to the backend without blocking: the connection comes up in
// the background, retried every 100 ms at first and every 2 s at most, so a
// gateway may start before its server.
// With -backend_ca it talks TLS (BackendTLS: with -backend_cert, mutual).
func Dial(c Config, logger *log.Logger) (*grpc.ClientConn, error) {
	transport := grpc.WithInsecure()
	if c.BackendCA != "" {
		config, err := BackendTLS(c, logger)
		if err != nil {
			return nil, err
		}
		transport = grpc.WithTransportCredentials(credentials.NewTLS(config))
	}
	options := []grpc.DialOption{
		transport,
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff: backoff.Config{
				BaseDelay:  100 * time.Millisecond,
				Multiplier: 1.6,
				Jitter:     0.2,
				MaxDelay:   2 * time.Second,
			},
			MinConnectTimeout: time.Second,
		}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(int(c.MaxBodyBytes) + (1 << 20))),
	}
	// A replicated shard's leader, when the backend is a follower
	// (leader.go): dialled as the backend is.
	leader := &leaders{conns: map[string]*grpc.ClientConn{},
		dial: func(target string) (*grpc.ClientConn, error) {
			return grpc.Dial(target, options...)
		}}
	return grpc.Dial(c.Backend, append(options, grpc.WithChainUnaryInterceptor(
		awaitBackend(c.Backend, c.BackendWait), followLeader(leader, c.BackendWait)))...)
}

// awaitBackend lets a call wait up to `wait` for a connection that is not up
// yet (the server is starting, or restarting) instead of failing at once; a
// backend still down after that is UNAVAILABLE (503) naming the address.
func awaitBackend(target string, wait time.Duration) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply interface{},
		cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if connecting(cc.GetState()) {
			waitCtx, cancel := context.WithTimeout(ctx, wait)
			defer cancel()
			for state := cc.GetState(); connecting(state); state = cc.GetState() {
				if !cc.WaitForStateChange(waitCtx, state) {
					if ctx.Err() != nil {
						return status.FromContextError(ctx.Err()).Err()
					}
					return status.Errorf(codes.Unavailable,
						"the lmdbapi server at %s is not reachable (connection %s for %v)",
						target, state, wait)
				}
			}
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

// connecting: the channel is trying to (re)connect. READY calls go through; an
// IDLE channel connects when a call is made, so those go through too.
func connecting(s connectivity.State) bool {
	return s == connectivity.Connecting || s == connectivity.TransientFailure
}
