package gateway_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// binary is the path of a binary under test, from the environment (CTest and
// Bazel set these; Bazel's paths are relative to the runfiles directory).
func binary(t testing.TB, env string) string {
	t.Helper()
	path := os.Getenv(env)
	if path == "" {
		t.Fatalf("set %s to the binary under test", env)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// process is a real server or gateway binary on a loopback port it picked
// itself (port 0 + --port_file), stopped with SIGTERM when the test ends; its
// log (stdout and stderr) is printed if the test failed. The conventions it
// shares with the Python and C++ helpers are in tests/README.md.
type process struct {
	t    testing.TB
	name string
	cmd  *exec.Cmd
	log  string
	port int
	done chan error
}

func start(t testing.TB, name, bin string, args ...string) *process {
	t.Helper()
	dir := t.TempDir()
	portFile := filepath.Join(dir, "port")
	p := &process{t: t, name: name, log: filepath.Join(dir, "log"), done: make(chan error, 1)}
	logFile, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(bin, append(args, "--port_file="+portFile)...)
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() { p.done <- p.cmd.Wait(); logFile.Close() }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() { // the log goes with t.TempDir(): show it
			text := p.output()
			if len(text) > 3000 {
				text = text[len(text)-3000:]
			}
			t.Logf("---- %s log (last 3000 characters):\n%s", name, text)
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if text, err := os.ReadFile(portFile); err == nil && strings.HasSuffix(string(text), "\n") {
			p.port, _ = strconv.Atoi(strings.TrimSpace(string(text)))
			return p
		}
		select {
		case err := <-p.done:
			p.done <- err
			t.Fatalf("%s exited before listening (%v):\n%s", name, err, p.output())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("%s did not listen within 20s:\n%s", name, p.output())
	return nil
}

func (p *process) output() string {
	text, _ := os.ReadFile(p.log)
	return string(text)
}

func (p *process) addr() string { return fmt.Sprintf("127.0.0.1:%d", p.port) }

// stop sends SIGTERM and returns the exit error (nil: exit status 0).
func (p *process) stop() error {
	if p.cmd.ProcessState != nil {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		p.t.Errorf("%s did not stop within 15s of SIGTERM", p.name)
		return <-p.done
	}
}

// freePort returns a loopback port nothing listens on (for a backend that
// starts later, or never).
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// stack is a server and its gateway, both real, on ports of their choosing.
type stack struct {
	server, gateway *process
	base            string // "http://127.0.0.1:<port>"
}

func startStack(t testing.TB, serverEnv, gatewayEnv string, gatewayArgs ...string) *stack {
	t.Helper()
	server := start(t, "server", binary(t, serverEnv), "--listen=127.0.0.1:0",
		"--data_dir="+filepath.Join(t.TempDir(), "data"), "--durability=nosync")
	gw := start(t, "gateway", binary(t, gatewayEnv),
		append([]string{"--listen=127.0.0.1:0", "--backend=" + server.addr()}, gatewayArgs...)...)
	return &stack{server: server, gateway: gw, base: "http://" + gw.addr()}
}
