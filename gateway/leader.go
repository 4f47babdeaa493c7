package gateway

import (
	"context"
	"sync"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// A replicated shard's followers refuse writes with FAILED_PRECONDITION,
// ErrorInfo reason NOT_LEADER and metadata "leader": the leader's gRPC
// address, or "" while an election is under way (docs/REPLICATION.md).
// Nothing was written, so followLeader sends the call again: to the leader
// named (a connection per leader, dialled once), or after a short pause
// while none is. A client of the gateway never sees which replica took it.
const notLeaderReason = "NOT_LEADER"

// maxLeaderHops bounds how often one call follows a leader hint (leaders
// change during an election; a hint may be one step behind).
const maxLeaderHops = 4

// leaders holds a connection to each leader a call was sent on to.
type leaders struct {
	mu    sync.Mutex
	conns map[string]*grpc.ClientConn
	dial  func(target string) (*grpc.ClientConn, error)
}

func (l *leaders) conn(target string) (*grpc.ClientConn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c, ok := l.conns[target]; ok {
		return c, nil
	}
	c, err := l.dial(target)
	if err != nil {
		return nil, err
	}
	l.conns[target] = c
	return c, nil
}

// notLeader: whether err is a follower's refusal, and the leader it names.
func notLeader(err error) (leader string, refused bool) {
	s, ok := status.FromError(err)
	if !ok || s.Code() != codes.FailedPrecondition {
		return "", false
	}
	for _, d := range s.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.Reason == notLeaderReason {
			return info.Metadata["leader"], true
		}
	}
	return "", false
}

// followLeader resends a call a follower refused to the leader it names;
// while no replica leads, it asks again every 100 ms for up to
// electionWait, then answers UNAVAILABLE (503: retry).
func followLeader(l *leaders, electionWait time.Duration) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply interface{},
		cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		err := invoker(ctx, method, req, reply, cc, opts...)
		deadline := time.Now().Add(electionWait)
		for hop := 0; hop < maxLeaderHops || time.Now().Before(deadline); hop++ {
			leader, refused := notLeader(err)
			switch {
			case !refused:
				return err
			case leader == "" || hop >= maxLeaderHops:
				if time.Now().After(deadline) {
					return status.Errorf(codes.Unavailable,
						"no replica of the shard leads now (an election is under way); "+
							"nothing was written, retry shortly")
				}
				select {
				case <-time.After(100 * time.Millisecond):
				case <-ctx.Done():
					return status.FromContextError(ctx.Err()).Err()
				}
				err = invoker(ctx, method, req, reply, cc, opts...)
			default:
				conn, dialErr := l.conn(leader)
				if dialErr != nil {
					return err
				}
				err = conn.Invoke(ctx, method, req, reply, opts...)
			}
		}
		return err
	}
}
