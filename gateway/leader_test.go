package gateway

import (
	"context"
	"errors"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// notLeaderError is a follower's refusal naming `leader` ("" in an election).
func notLeaderError(t *testing.T, leader string) error {
	s, err := status.New(codes.FailedPrecondition, "not the leader").WithDetails(
		&errdetails.ErrorInfo{Reason: "NOT_LEADER", Domain: "lmdbapi",
			Metadata: map[string]string{"leader": leader}})
	if err != nil {
		t.Fatal(err)
	}
	return s.Err()
}

func TestNotLeaderNamesTheLeaderOnlyForAFollowersRefusal(t *testing.T) {
	if leader, refused := notLeader(notLeaderError(t, "10.0.0.2:50051")); !refused || leader != "10.0.0.2:50051" {
		t.Errorf("refusal: (%q, %v)", leader, refused)
	}
	if _, refused := notLeader(status.Error(codes.FailedPrecondition, "parent does not exist")); refused {
		t.Error("a FAILED_PRECONDITION without NOT_LEADER was taken for a refusal")
	}
	if _, refused := notLeader(errors.New("plain")); refused {
		t.Error("a non-gRPC error was taken for a refusal")
	}
}

func TestFollowLeaderRetriesWhileNoReplicaLeadsThenGivesUp503(t *testing.T) {
	calls := 0
	electing := func(ctx context.Context, method string, req, reply interface{},
		cc *grpc.ClientConn, opts ...grpc.CallOption) error {
		calls++
		if calls < 3 {
			return notLeaderError(t, "")
		}
		return nil
	}
	follow := followLeader(&leaders{conns: map[string]*grpc.ClientConn{}}, time.Second)
	if err := follow(context.Background(), "/m", nil, nil, nil, electing); err != nil {
		t.Fatalf("the third try (a leader elected) failed: %v", err)
	}
	if calls != 3 {
		t.Errorf("%d calls, want 3", calls)
	}

	always := func(ctx context.Context, method string, req, reply interface{},
		cc *grpc.ClientConn, opts ...grpc.CallOption) error {
		return notLeaderError(t, "")
	}
	follow = followLeader(&leaders{conns: map[string]*grpc.ClientConn{}}, 250*time.Millisecond)
	err := follow(context.Background(), "/m", nil, nil, nil, always)
	if status.Code(err) != codes.Unavailable {
		t.Errorf("no leader for the whole wait: %v, want UNAVAILABLE", err)
	}
}
